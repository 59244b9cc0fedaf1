"""MEP dissector: reassembly, pairing, exchange records, procedures and transactions.

``dissect(runs, security=None)`` turns :class:`~osgpdissect.bytestream.ByteRun` values into
:class:`Record` values (one per exchange, alert or malformed stretch).
"""

from osgpdissect.c1218.messages import Alert, Frame, Malformed, Request, Response
from osgpdissect.c1218.records import Record
from osgpdissect.c1218.tables import TableContext
from osgpdissect.mep.dissector import Dissector, dissect
from osgpdissect.mep.reassembly import ReassemblyOptions, StreamReassembler, reassemble

__all__ = [
    "Alert",
    "Dissector",
    "Frame",
    "Malformed",
    "ReassemblyOptions",
    "Record",
    "Request",
    "Response",
    "StreamReassembler",
    "TableContext",
    "dissect",
    "reassemble",
]
