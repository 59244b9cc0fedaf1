"""Binding: a table's model bound to what a meter has told us (dimensions, firmware, device
class) — the layouts the codec compiles.  ``binder`` binds, ``device`` holds the meter's state,
``validate`` checks the guide's offsets against bound layouts, ``show`` prints them."""
