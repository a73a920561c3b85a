"""Issue 15: File → Export Diagram (PNG, SVG, PDF of the canvas or the selection)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from designer.diagram_export import PNG_SCALE, diagram_rect, export_diagram


def _svg_text(path) -> str:
    root = ET.parse(path).getroot()  # parses: a well-formed SVG document
    assert root.tag.endswith("svg")
    return " ".join(t for el in root.iter() for t in (el.text or "",) if t.strip())


def test_png_of_the_whole_canvas(window, tmp_path):
    scene = window.scene
    out = export_diagram(scene, tmp_path / "d.png")
    image = QImage(str(out))
    rect = diagram_rect(scene)
    assert (image.width(), image.height()) == (round(rect.width() * PNG_SCALE),
                                               round(rect.height() * PNG_SCALE))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # cards, stripes, glyphs, text: not a blank page
    for item in scene.nodes.values():  # every card is inside the picture
        assert rect.contains(item.sceneBoundingRect())


def test_svg_keeps_texts_and_labels(window, tmp_path):
    scene = window.scene
    text = _svg_text(export_diagram(scene, tmp_path / "d.svg", title="tour"))
    elided = [t[:-1] for t in text.split() if t.endswith("…")]  # long ids on narrow cards
    for nid in scene.nodes:
        assert nid in text.split() or any(nid.startswith(t) for t in elided), nid
    labelled = [e.label.shape_text for e in scene.edges.values() if e.label.isVisible()]
    assert labelled and all(shape in text for shape in labelled)  # the edge labels


def test_pdf_is_one_page(window, tmp_path):
    import re

    data = export_diagram(window.scene, tmp_path / "d.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert len(boxes) == 1  # one page, the size of the diagram (96 px to 72 pt an inch)
    rect = diagram_rect(window.scene)
    w, h = (float(v) for v in boxes[0])
    assert abs(w - rect.width() * 0.75) < 1 and abs(h - rect.height() * 0.75) < 1


def test_selection_only_and_restored(window, tmp_path):
    scene = window.scene
    ids = list(scene.nodes)[:2]
    scene.select_nodes(ids)
    seen = []
    scene.selectionChangedIds.connect(seen.append)
    text = _svg_text(export_diagram(scene, tmp_path / "s.svg", ids))
    assert all(i in text for i in ids)
    assert not any(i in text.split() for i in scene.nodes if i not in ids)
    assert scene.selected_ids() == ids and seen == []  # selection kept, nobody told
    assert all(item.isVisible() for item in scene.nodes.values())
    assert diagram_rect(scene, ids).height() < diagram_rect(scene).height()


def test_bad_requests_say_what_is_wrong(window, tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        export_diagram(window.scene, tmp_path / "d.jpg")
    with pytest.raises(ValueError, match="no node is selected"):
        export_diagram(window.scene, tmp_path / "d.png", ids=[])
    assert not (tmp_path / "d.jpg").exists()


def test_menu_exports_through_the_dialog(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "menu"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda *a, **k: (str(target), "SVG drawing (*.svg)")))
    window.menu_actions.export_diagram.trigger()
    assert (tmp_path / "menu.svg").exists()  # the filter's suffix was added
    selection = window.menu_actions.export_selection
    window.scene.select_nodes([])
    assert not selection.isEnabled()
    window.scene.select_nodes(list(window.scene.nodes)[:1])
    assert selection.isEnabled()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda *a, **k: (str(tmp_path / "one.pdf"), "")))
    selection.trigger()
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")
