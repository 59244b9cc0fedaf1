"""The Sphinx reference site: reST pages generated from the spec (``pages``) and the
extension that renders them (``ext``)."""
