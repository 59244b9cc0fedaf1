"""Sphinx configuration of the osgpdissect site; the table pages are generated from the spec."""

from __future__ import annotations

project = "osgpdissect"
author = "osgpdissect contributors"
copyright = "osgpdissect contributors"

extensions = ["osgpdissect.backends.sphinx.ext"]

# One page per table and procedure, written into tables/ (git-ignored) when the build starts.
osgp_pages = "tables"
osgp_pages_title = "Tables and procedures"

root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"page_width": "96%", "body_max_width": "none", "sidebar_width": "220px"}
html_static_path = ["_static"]
html_css_files = ["osgp.css"]
html_title = "osgpdissect"
html_show_sourcelink = False
