"""The installed entry point of ConvCanvas (``pip install .`` gives the ``convcanvas``
command): :mod:`.launcher` opens the designer or runs a subcommand of the command
line, exactly as ``python main.py`` does; :mod:`.desktop` installs the desktop entry,
the app icon and the MIME type of ``*.convgraph.json`` files for the user."""
