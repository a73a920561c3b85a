"""The designer's visual vocabulary (``designer.look``): one colour set, one way to write
counts and shapes, a glyph and a colour for every catalogue kind; and the rules that keep
it so (no colour literal and no layer type name outside it, small modules)."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402

from designer import look  # noqa: E402
from engine import CATALOGUE, FAMILIES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DESIGNER = ROOT / "designer"
LOOK = DESIGNER / "look"


def _sources(folder: Path = DESIGNER):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _strings(path: Path):
    """``(line, text)`` of every string constant of ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs:
            yield node.lineno, node.value


# -- one colour set -----------------------------------------------------------------------
#: a hex colour, or a named one in rich text or a style sheet (``palette(role)`` is allowed)
_COLOR_LITERAL = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|color:\s*(?!palette\()[a-z]+\b")


def test_no_colour_is_defined_outside_designer_look():
    found = []
    for path in _sources():
        if LOOK in path.parents:
            continue
        for line, text in _strings(path):
            for m in _COLOR_LITERAL.finditer(text):
                if m.group(0) != "color:{":  # an f-string hole, filled from designer.look
                    found.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)}")
        source = path.read_text(encoding="utf-8")
        for m in re.finditer(r"QColor\(\s*[\"'0-9]", source):
            line = source.count("\n", 0, m.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not found


def test_one_error_warning_and_ok_colour_everywhere():
    from designer.widgets.badge import Badge

    assert Badge.COLORS == look.STATE_COLORS
    assert look.STATE_COLORS == {"error": look.ERROR, "warning": look.WARNING, "ok": look.OK}
    assert len({look.ERROR.name(), look.WARNING.name(), look.OK.name(),
                look.ACCENT.name()}) == 4
    sheet = look.theme.style_sheet()
    assert look.ERROR.name() in sheet and look.WARNING.name() in sheet


def test_every_family_and_kind_has_its_own_colour():
    assert set(FAMILIES) <= set(look.FAMILY_COLORS)
    colours = {look.family_color(f).name() for f in FAMILIES}
    assert len(colours) == len(FAMILIES)
    for kind in CATALOGUE.values():
        assert look.kind_color(kind) == QColor(look.FAMILY_COLORS[kind.family]), kind.type


def test_rich_text_colour_helpers():
    assert look.css(look.ERROR) == "#c62828"
    assert look.span("x", look.OK) == "<span style='color:#2e7d32'>x</span>"
    faded = look.with_alpha(look.ACCENT, 60)
    assert faded.alpha() == 60 and look.ACCENT.alpha() == 255


# -- formatting ----------------------------------------------------------------------------
@pytest.mark.parametrize("n, text", [
    (0, "0"), (1, "1"), (512, "512"), (2432, "2,432"), (58_976, "58,976"),
    (99_999, "99,999"), (100_000, "100k"), (123_456, "123k"), (999_499, "999k"),
    (999_999, "1.0M"), (1_234_567, "1.2M"), (7_077_888, "7.1M"), (89_600_000, "89.6M"),
    (99_960_000, "100M"), (3_400_000_000, "3.4G"), (None, "—"),
])
def test_counts(n, text):
    assert look.fmt_count(n) == text


def test_long_counts_add_the_short_form_only_where_it_differs():
    assert look.fmt_count_long(58_976) == "58,976"
    assert look.fmt_count_long(7_077_888) == "7,077,888 (7.1M)"
    assert look.fmt_count_long(None) == look.MISSING


def test_shapes_sizes_bytes_and_values():
    import numpy as np

    from engine.catalogue import fmt_shape as engine_shape

    assert look.fmt_shape((32, 64, 64)) == "32×64×64" == engine_shape((32, 64, 64))
    assert look.fmt_shape(np.zeros((16, 3, 5)).shape) == "16×3×5"
    assert look.fmt_shape([np.int64(7), 9]) == "7×9"
    assert look.fmt_shape(None) == "?"
    assert look.fmt_bytes(512) == "512 B"
    assert look.fmt_bytes(1_310_720) == "1.25 MiB"
    assert look.fmt_bytes(8_585_216) == "8.19 MiB"
    assert look.fmt_num(12.5) == "12.5"
    assert look.fmt_num(-0.000123) == "−1.230e−04"
    assert look.fmt_num(123_456.0) == "1.235e+05"
    assert look.fmt_num(0.0) == "0"
    assert look.fmt_num(float("-inf")) == "−∞"
    assert look.plural(1, "error") == "1 error" and look.plural(2, "warning") == "2 warnings"


def test_the_canvas_status_bar_and_panel_write_numbers_alike(qapp):
    from designer.canvas.edge_item import edge_label_texts
    from designer.canvas.node_item import NodeItem
    from designer.widgets.status import StatusSummary
    from engine import analyze, load_graph

    graph = load_graph(ROOT / "resources" / "examples" / "classifier_tour.convgraph.json")
    result = analyze(graph)
    status = StatusSummary()
    status.show_result(result)
    assert status.params.text() == f"<b>{look.fmt_count(result.total_params)}</b> params"
    assert status.macs.text() == f"<b>{look.fmt_count(result.total_macs)}</b> MACs"
    for node in graph.nodes.values():
        res = result.nodes[node.id]
        item = NodeItem(node)
        item.set_result(res, ())
        summary, count = item._card_texts()
        if res.params not in (None, 1):
            assert count == f"{look.fmt_count(res.params)} params"
        assert edge_label_texts(res)[0] == look.fmt_shape(res.shape)


# -- glyphs ----------------------------------------------------------------------------------
def _render(key: str, color=Qt.GlobalColor.black) -> QImage:
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    look.paint_glyph(painter, QRectF(0, 0, 32, 32), key, QColor(color))
    painter.end()
    return image


def test_every_kind_has_a_glyph_of_its_own_key():
    dot = _render("no such glyph")
    for kind in CATALOGUE.values():
        key = kind.glyph_key()
        assert look.has_glyph(key), f"{kind.type}: no glyph for {key!r}"
        drawn = _render(key)
        assert drawn != dot, kind.type  # not the fallback dot
        assert any(drawn.pixelColor(x, y).alpha() for x in range(32) for y in range(32))
    families = {k.family for k in CATALOGUE.values()}
    assert families <= set(look.GLYPHS)  # family tiles (palette headings, icons)


def test_glyph_keys_of_the_catalogue_are_all_drawn_and_none_is_left_over():
    keys = {k.glyph_key() for k in CATALOGUE.values()} | set(FAMILIES)
    assert set(look.GLYPHS) == keys


def test_icons_are_cached_and_sharp(qapp):
    kind = CATALOGUE["Input"]
    icon = look.kind_icon(kind, 20)
    assert look.kind_icon(kind, 20) is icon
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert (20, 20) in sizes or (40, 40) in sizes
    for state in ("error", "warning", "ok"):
        assert not look.status_icon(state).isNull()
    assert not look.link_icon(True).isNull() and not look.link_icon(False).isNull()


# -- rules that keep the vocabulary in one place ------------------------------------------------
def _type_literal(names):
    """A layer type inside a string: CamelCase or digits (``Conv2d``, ``ReLU``) anywhere;
    a type that is also an English word (``Add``, ``Linear``) only as the whole string."""
    coded = [n for n in names if re.search(r"[0-9]|[A-Z].*[A-Z]", n)]
    inside = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(coded, key=len, reverse=True))
                        + r")(?![A-Za-z0-9_])")
    return lambda text: text in names or inside.search(text)


def test_no_layer_type_is_named_outside_the_catalogue_except_input():
    names = {t for t in CATALOGUE if t != "Input"}
    named = _type_literal(names)
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}" for path in _sources()
             for line, text in _strings(path) if named(text)]
    assert not found


#: the modules of the look, the engine panel, the widgets and the canvas' items
_OWNED = [*_sources(LOOK), *_sources(DESIGNER / "panel"), *_sources(DESIGNER / "widgets"),
          *(DESIGNER / name for name in ("palette.py", "problems.py",
                                         "properties.py", "canvas/theme.py",
                                         "canvas/node_item.py", "canvas/edge_item.py",
                                         "canvas/edge_label.py",
                                         "canvas/port_item.py"))]


@pytest.mark.parametrize("path", _OWNED, ids=lambda p: str(p.relative_to(DESIGNER)))
def test_modules_are_small_and_say_what_they_own(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 500
    assert ast.get_docstring(ast.parse(text)), "no module docstring"


def test_the_old_homes_are_gone():
    """designer/style.py and canvas/glyphs.py are gone; canvas/theme.py holds only measures."""
    from designer.canvas import theme

    assert not (DESIGNER / "style.py").exists()
    assert not (DESIGNER / "canvas" / "glyphs.py").exists()
    for name in ("ACCENT", "BACKGROUND", "ERROR", "font", "family_color", "TITLE_TEXT"):
        assert not hasattr(theme, name), name
