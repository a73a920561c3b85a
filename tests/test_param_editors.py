"""Every parameter of every layer kind has an editor in the property pages."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.gui


def test_every_parameter_gets_an_editor_that_shows_its_default(qapp):
    from designer.widgets.params.factory import make_editor
    from engine import CATALOGUE

    for kind in CATALOGUE.values():
        for param in kind.params:
            editor = make_editor(param)
            if param.default is not None:
                editor.set_value(param.default)
                # what the editor gives back means the same value (3 for (3, 3) too)
                assert param.validate(editor.value()) == param.validate(param.default), \
                    (kind.type, param.name)


def test_an_imported_operation_is_shown_not_edited(qapp):
    from designer.widgets.params.factory import make_editor
    from engine import CATALOGUE

    opaque = next(k for k in CATALOGUE.values() if any(p.kind == "intlist" for p in k.params))
    shape = next(p for p in opaque.params if p.kind == "intlist")
    editor = make_editor(shape)
    seen = []
    editor.committed.connect(seen.append)
    editor.set_value([64, 56, 56])
    assert editor.label.text() == "64×56×56" and editor.value() == [64, 56, 56] and not seen
