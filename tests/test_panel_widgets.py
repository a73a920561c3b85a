"""Engine panel pieces that need no run: input sources and their wording, the fixed
statistics label and plot titles, value-axis tick labels, and a torch-free start
(a subprocess). Offscreen with pytest-qt.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.panel_helpers import (
    EXAMPLE,
    EXAMPLES,
    ROOT,
    _document,
)

pytestmark = pytest.mark.gui


def test_input_sources_follow_the_engine_and_read_well():
    from designer.panel import fmt
    from designer.panel.views import input_sources
    from engine.runtime.run import uses_image

    kinds = set()
    for path in sorted(EXAMPLES.glob("*.convgraph.json")):
        doc = _document(path)
        sources = input_sources(doc)
        assert sources == {i: "image" if uses_image(doc.graph, i) else "random"
                           for i, n in doc.graph.nodes.items() if n.type == "Input"}
        kinds.update(sources.values())
    assert kinds == {"image", "random"}
    assert fmt.inputs_html({"input": "image"}, "scene.png", 0) == "<b>scene.png</b>"
    assert fmt.inputs_html({"a": "image", "b": "random"}, "x<1>.png", 3) == \
        "<b>x&lt;1&gt;.png</b> (a) and seeded random values for <b>b</b> (seed 3)"
    assert fmt.inputs_html({"v": "random", "w": "random"}, "scene.png", 0) == \
        "seeded random values for <b>v</b>, <b>w</b> (seed 0)"


def test_creating_the_panel_does_not_import_torch():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import engine\n"
        "from designer.document import Document\n"
        "from designer.panel import EnginePanel\n"
        "p = EnginePanel()\n"
        f"p.set_document(Document(engine.load_graph({str(EXAMPLE)!r})))\n"
        "p.select_node('dilated')\n"
        "for tab in (p.maps_tab, p.rf_tab, p.code_tab, p.weights_tab):\n"
        "    p.tabs.setCurrentWidget(tab)\n"
        "    app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_statistics_fit_their_fixed_label_and_titles_keep_the_layout(qapp):
    """The statistics label is sized once (no relayout per result): the widest real
    statistics must fit it; a plot title never widens the plot's layout."""
    from designer.panel import fmt
    from designer.panel.feature_tab import FeatureMapsTab

    tab = FeatureMapsTab()
    tab.resize(900, 600)
    tab.show()
    qapp.processEvents()
    fixed = tab.stats.size()
    assert tab.stats.minimumSize() == tab.stats.maximumSize() == fixed
    worst = {"min": -1.2345e-30, "max": -9.9999e+37, "mean": -0.00012345,
             "std": 123456.7, "zeros": 1.0}
    probe = type(tab.stats)()
    probe.setTextFormat(Qt.TextFormat.RichText)
    probe.setText(fmt.stats_html([("ch 2047", worst), ("layer", worst)]))
    hint = probe.sizeHint()
    assert hint.width() <= fixed.width() and hint.height() <= fixed.height(), (hint, fixed)

    title = tab.detail.title
    before = title.minimumWidth(), title.minimumHeight()
    tab.detail.set_title("channel 1023 of a_node_with_a_rather_long_identifier, depth 15")
    assert title.text.startswith("channel 1023")
    assert (title.minimumWidth(), title.minimumHeight()) == before
    tab.close()


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (1000.001, 1000.01), (-1.239e-4, -1.231e-4),
                                    (-12345.6, 98765.4)])
def test_value_axes_keep_their_tick_labels(qapp, lo, hi):
    """Histogram and colour-bar axes start at a steady width (no relayout per result)
    yet grow for long tick labels rather than dropping them (pyqtgraph skips a label
    that does not fit)."""
    from PySide6.QtGui import QImage, QPainter

    from designer.panel.image_plot import ImagePlot

    data = np.linspace(lo, hi, 64 * 64).reshape(64, 64)
    for plot in (ImagePlot(histogram=True), ImagePlot(colorbar=True, title="")):
        plot.resize(420, 300)
        plot.show()
        plot.set_image(data)
        plot.update_histogram()
        qapp.processEvents()
        plot.grab()
        qapp.processEvents()
        axis = plot.histogram.axis if plot.histogram is not None else plot.colorbar.axis
        img = QImage(10, 10, QImage.Format.Format_ARGB32)
        painter = QPainter(img)
        specs = axis.generateDrawSpecs(painter)
        painter.end()
        drawn = {t[2] for t in specs[2]}
        (spacing, values), *_ = axis.tickValues(axis.range[0], axis.range[1],
                                                 axis.size().height())
        wanted = set(axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing))
        assert wanted and wanted <= drawn, (plot, wanted, drawn)
        plot.close()
