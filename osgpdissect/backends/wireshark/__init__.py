"""Wireshark backend: a Lua dissector plugin generated from the bound layouts of the spec."""

from osgpdissect.backends.wireshark.generate import PLUGIN_NAME, generate

__all__ = ["PLUGIN_NAME", "generate"]
