"""scapy layers (imports ``scapy.packet``/``scapy.fields`` only, never ``scapy.all``)."""

from osgpdissect.backends.scapy.mep import (
    MEPAlert,
    MEPRequest,
    MEPResponse,
    MEPTableData,
    MEPTLSRequest,
    MEPTLSResponse,
    dissect_exchange,
    dissect_frame,
    set_table_context,
    table_layer,
)

__all__ = [
    "MEPAlert",
    "MEPRequest",
    "MEPResponse",
    "MEPTableData",
    "MEPTLSRequest",
    "MEPTLSResponse",
    "dissect_exchange",
    "dissect_frame",
    "set_table_context",
    "table_layer",
]
