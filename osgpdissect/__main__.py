"""``python -m osgpdissect``."""

import sys

from osgpdissect.cli import main

sys.exit(main())
