"""The layer reference is generated from the catalogue and must be up to date."""

from pathlib import Path

from engine import CATALOGUE
from engine.docs import render

ROOT = Path(__file__).resolve().parent.parent


def test_layer_reference_is_up_to_date():
    text = (ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    assert text.strip() == render().strip(), "run: python -m engine.docs > docs/layers.md"


def test_every_kind_and_parameter_is_documented():
    text = render()
    for kind in CATALOGUE.values():
        assert f"### {kind.type}\n" in text
        assert kind.doc, kind.type
        for p in kind.params:
            assert p.doc, f"{kind.type}.{p.name} has no doc"
            assert f"| `{p.name}` |" in text
