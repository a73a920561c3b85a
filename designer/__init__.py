"""The ConvCanvas desktop designer (PySide6 + pyqtgraph; never imports torch).

See docs/architecture.md for the map of its modules.
"""
