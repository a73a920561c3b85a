"""File → Import… in the designer (pytest-qt): the import runs in the engine process, the
graph opens as a new unsaved document, the imported weights become the current weights
(a run gives the module's own output, and Export ONNX… writes them: onnxruntime agrees),
the report dialog names every operation and the Opaque ones, and failures say what is
wrong and leave the open design as it was."""

from __future__ import annotations

import importlib.util
import textwrap

import numpy as np
import pytest

pytest.importorskip("pytestqt")
torch = pytest.importorskip("torch")

pytestmark = pytest.mark.gui

NET = textwrap.dedent('''
    import torch
    from torch import nn
    import torch.nn.functional as F


    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return F.relu(x + self.conv2(F.relu(self.bn1(self.conv1(x)))))


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.layer1 = nn.Sequential(Block(4), Block(4))
            self.head = nn.Conv2d(4, 2, 1)
            with torch.no_grad():  # statistics that are not the defaults
                self.layer1[0].bn1.running_mean.uniform_(-0.5, 0.5)
                self.layer1[0].bn1.running_var.uniform_(0.5, 2.0)

        def forward(self, x):
            return self.head(self.layer1(self.stem(x)))


    class Odd(Net):
        def forward(self, x):
            return self.head(torch.sin(self.layer1(self.stem(x))))


    def broken():
        raise ValueError("no weights here")
''')


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "net.py"
    path.write_text(NET, encoding="utf-8")
    return path


def _module(path, name="Net"):
    spec = importlib.util.spec_from_file_location("_net_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)().eval()


def _import(window, qtbot, source, shape=(3, 32, 32)):
    assert window.start_import(source, shape)
    controller = window.panel.controller
    assert controller.jobs.wait(120)
    return controller


def test_import_opens_a_new_unsaved_document_with_the_models_weights(engine_window, qtbot,
                                                                     net_file, tmp_path):
    old = engine_window.doc
    ctl = _import(engine_window, qtbot, f"{net_file}:Net")
    doc = engine_window.doc
    assert doc is not old and doc.path is None and doc.dirty
    assert "imported" in engine_window.windowTitle()
    assert {"stem", "layer1_0_conv1", "layer1_1_bn1", "head"} <= set(doc.graph.nodes)
    assert ctl.weights_path and ctl.weights_path.endswith(".pt")
    assert "loaded from" in ctl.weights_text()
    # the report: every operation, mapped or folded, none opaque
    dialog = engine_window.import_report_dialog
    assert dialog is not None and dialog.isVisible()
    assert ("mapped", "layer1_0_conv1", "Conv2d", "layer1_0_conv1", "") in dialog.rows()
    assert not dialog.rows("opaque")
    assert "Every operation maps" in dialog.summary.text()
    # a run gives the module's own output on the same input
    assert engine_window.panel.run()
    assert ctl.jobs.wait(120)
    result = ctl.result
    x = next(iter(result.inputs.values()))
    with torch.no_grad():
        want = _module(net_file)(torch.from_numpy(np.array(x))).numpy()
    got = np.asarray(result.activations["head"])
    assert got.shape[-3:] == want.shape[-3:]
    assert np.abs(got.reshape(want.shape) - want).max() <= 1e-4
    # Export ONNX… writes those weights: onnxruntime gives the same output
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "net.onnx"
    assert engine_window.start_export_onnx(str(out))
    assert ctl.jobs.wait(180)
    assert out.is_file(), engine_window.statusBar().currentMessage()
    assert f"Exported {out}" in engine_window.statusBar().currentMessage()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (onnx_out,) = sess.run(None, {"input": np.asarray(x, dtype=np.float32)})
    assert np.abs(onnx_out - want).max() <= 1e-4
    # and that ONNX file imports back (its own input shape): a run gives the same output
    doc.undo_stack.setClean()
    first_weights = ctl.weights_path
    _import(engine_window, qtbot, str(out), shape=None)
    graph = engine_window.doc.graph
    assert engine_window.doc is not doc and ctl.weights_path != first_weights
    assert engine_window.import_report_dialog.report["traced_with"] == "onnx"
    assert engine_window.panel.run()
    assert ctl.jobs.wait(120)
    (last,) = [n for n in graph.nodes if not graph.successors(n)]
    back = np.asarray(ctl.result.activations[last])
    assert np.abs(back.reshape(want.shape) - want).max() <= 1e-4
    engine_window.doc.undo_stack.setClean()


def test_opaque_operations_are_named_in_the_report(engine_window, qtbot, net_file):
    _import(engine_window, qtbot, f"{net_file}:Odd")
    dialog = engine_window.import_report_dialog
    assert dialog.filter.currentText() == "opaque"  # what needs attention first
    rows = dialog.rows()
    assert rows and all(r[0] == "opaque" for r in rows)
    opaque = dialog.report["opaque_nodes"]
    assert opaque and all(n in engine_window.doc.graph.nodes for n in opaque)
    text = dialog.summary.text()
    assert "Opaque" in text and all(n in text for n in opaque)
    assert "refuse" in text
    engine_window.doc.undo_stack.setClean()


def test_cancelling_the_save_question_keeps_the_open_design(engine_window, qtbot, net_file,
                                                            dialogs):
    from PySide6.QtWidgets import QMessageBox

    old = engine_window.doc
    old.undo_stack.resetClean()  # unsaved work
    dialogs["answers"]["question"] = QMessageBox.StandardButton.Cancel
    _import(engine_window, qtbot, f"{net_file}:Net")
    assert engine_window.doc is old and old.dirty
    assert dialogs["question"] and "Unsaved changes" in dialogs["question"][-1][0]
    assert "current design was kept" in engine_window.statusBar().currentMessage()
    assert engine_window.panel.controller.weights_path is None
    dialogs["answers"]["question"] = QMessageBox.StandardButton.Discard


@pytest.mark.parametrize("source, words", [
    ("{dir}/missing.onnx", ["missing.onnx"]),
    ("{dir}/garbage.onnx", ["garbage.onnx"]),
    ("{net}:broken", ["broken", "no weights here"]),
    ("{net}:Nope", ["Nope"]),
])
def test_a_failed_import_says_why_and_changes_nothing(engine_window, qtbot, net_file,
                                                      tmp_path, source, words):
    (tmp_path / "garbage.onnx").write_bytes(b"not an onnx model")
    old = engine_window.doc
    nodes = list(old.graph.nodes)
    _import(engine_window, qtbot, source.format(dir=tmp_path, net=net_file))
    box = engine_window.import_error_box
    assert box is not None and box.windowTitle() == "Cannot import"
    assert all(w in box.text() for w in words), box.text()
    assert "unchanged" in box.text()
    assert engine_window.doc is old and list(old.graph.nodes) == nodes
    assert engine_window.panel.controller.weights_path is None


def test_a_cancelled_import_changes_nothing(engine_window, qtbot, net_file):
    from designer.interchange_actions import import_folder

    old = engine_window.doc
    files = set(import_folder().glob("*.pt"))
    assert engine_window.start_import(f"{net_file}:Net", (3, 32, 32))
    from PySide6.QtWidgets import QPushButton

    engine_window.import_progress.findChild(QPushButton).click()  # the dialog's Cancel
    assert engine_window.panel.controller.jobs.wait(120)
    assert engine_window.doc is old
    assert "Import cancelled" in engine_window.statusBar().currentMessage()
    assert engine_window.panel.controller.weights_path is None
    assert set(import_folder().glob("*.pt")) == files  # its weights file is gone


def test_a_shape_that_does_not_fit_is_named(engine_window, qtbot, net_file):
    _import(engine_window, qtbot, f"{net_file}:Net", shape=(5, 32, 32))
    text = engine_window.import_error_box.text()
    assert "could not be imported" in text and "Net" in text


def test_the_import_dialog_checks_its_fields(qtbot, net_file, tmp_path):
    from designer.import_dialog import DEFAULT_SHAPE, ImportDialog, module_names

    assert module_names(net_file) == ["Block", "Net", "Odd", "broken"]
    d = ImportDialog(str(tmp_path))
    qtbot.addWidget(d)
    assert "Choose a model" in d.check()
    d.set_source(str(net_file))
    assert d.kind() == "file" and d.name_combo.isEnabled()
    assert d.shape_edit.text() == DEFAULT_SHAPE
    d.name_combo.setCurrentText("Net")
    assert d.check() == "" and d.source() == f"{net_file}:Net"
    assert d.input_shape() == (3, 224, 224)
    d.shape_edit.setText("3,x,2")
    assert "Input shape '3,x,2'" in d.check()
    d.accept()
    assert d.error.isVisibleTo(d) and "Input shape" in d.error.text()
    d.set_source(str(tmp_path / "model.onnx"))
    assert d.kind() == "onnx" and not d.name_combo.isEnabled()
    assert d.shape_edit.text() == ""  # the model's own
    assert d.input_shape() is None
    assert "model.onnx: no such file" in d.check()
    d.set_source("pkg.models")
    assert "expected package.module:NAME" in d.check()
    d.set_source("pkg.models:resnet")
    assert d.check() == "" and d.source() == "pkg.models:resnet"


def test_import_and_onnx_export_are_in_the_file_menu(window):
    actions = window.menu_actions
    assert actions.import_model.text() == "&Import…"
    assert actions.import_model.shortcut().toString() == "Ctrl+I"
    assert actions.export_onnx.text() == "Export O&NNX…"
    texts = [a.text() for a in actions.file_menu.actions()]
    assert texts.index("&Import…") < texts.index("&Save")
    assert texts.index("Export &PyTorch…") < texts.index("Export O&NNX…")


def test_without_the_engine_import_says_why(window):
    assert not window.start_import("x.onnx")
    assert "needs the engine" in window.import_error_box.text()


def test_the_menu_action_asks_then_imports_and_offers_the_last_source_again(
        engine_window, qtbot, net_file, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from designer.import_dialog import ImportDialog

    seen = []

    def first(dialog):
        seen.append((dialog.source_edit.text(), dialog.shape_edit.text()))
        dialog.set_source(str(net_file), "Net")
        dialog.shape_edit.setText("3,32,32")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ImportDialog, "exec", first)
    old = engine_window.doc
    assert engine_window.menu_actions.import_model.isEnabled()
    engine_window.menu_actions.import_model.trigger()
    assert engine_window.panel.controller.jobs.wait(120)
    assert engine_window.doc is not old and "layer1_0_conv1" in engine_window.doc.graph.nodes
    engine_window.doc.undo_stack.setClean()

    def second(dialog):  # the last source, its module name and shape, offered again
        seen.append((dialog.source(), dialog.shape_edit.text()))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ImportDialog, "exec", second)
    doc = engine_window.doc
    assert engine_window.import_model() is False
    assert engine_window.doc is doc
    assert seen == [("", "3,224,224"), (f"{net_file}:Net", "3,32,32")]


def _onnx_file(path, inputs, with_weight_input=False):
    """A tiny ONNX model (Relu of the first input) declaring ``inputs``: name -> dims."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    values = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(d))
              for n, d in inputs.items()]
    first = next(iter(inputs))
    inits = []
    if with_weight_input:  # older exporters list the weights as inputs too
        inits = [numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")]
        values.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 1, 1]))
    graph = helper.make_graph([helper.make_node("Relu", [first], ["y"])], "g", values,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              initializer=inits)
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_the_dialog_prefills_the_shape_an_onnx_file_declares(qtbot, tmp_path):
    from designer.import_dialog import ImportDialog
    from engine.interchange.onnx_peek import onnx_input_shapes

    one = _onnx_file(tmp_path / "one.onnx", {"input": ("N", 3, 20, 24)}, True)
    assert onnx_input_shapes(one) == {"input": ("N", 3, 20, 24)}  # w is a weight
    two = _onnx_file(tmp_path / "two.onnx", {"a": (1, 3, 8, 8), "b": (1, 3, 8, 8)})
    symbolic = _onnx_file(tmp_path / "sym.onnx", {"x": (1, 3, "H", "W")})
    d = ImportDialog(str(tmp_path))
    qtbot.addWidget(d)
    d.set_source(str(one))
    assert d.shape_edit.text() == "3,20,24" and d.input_shape() == (3, 20, 24)
    for other in (two, symbolic, tmp_path / "missing.onnx"):
        d.set_source(str(other))
        assert d.shape_edit.text() == ""  # the model's own (or none to read)
    (tmp_path / "junk.onnx").write_bytes(b"\xff\xff\xff")
    assert onnx_input_shapes(tmp_path / "junk.onnx") is None
