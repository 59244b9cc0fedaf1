"""osgpdissect: spec-driven dissection of OSGP MEP and optical-port traffic."""

__version__ = "0.1.0"
