"""Backends generated from the spec and the codec: scapy layers, the Sphinx reference."""
