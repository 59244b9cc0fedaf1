"""osgpdissect: spec-driven dissection of OSGP MEP and optical-port traffic."""

from osgpdissect import acceleration as _acceleration

__version__ = "0.1.0"

_acceleration.install()
