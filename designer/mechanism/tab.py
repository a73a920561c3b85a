"""The engine panel's Mechanism tab: how the selected layer computes, cell by cell.

:class:`MechanismTab` follows the canvas selection. For a layer that slides a
window or resamples it shows the animated :class:`~.view.MechanismView` (small
integers, or one channel of the last run), the gridding of the dilated
convolutions leading to it (:class:`~.gridding_view.GriddingView`) and, for a
deformable convolution after a run, where it samples
(:class:`~.deform_view.DeformView`, from the Offsets tab's data). For a
Squeeze-and-Excitation block after a run it shows squeeze, excite and scale
(:class:`~.se_view.SEView`). Other layers get a short note of what they do.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer import look
from designer.look import fmt_shape
from engine.mechanics import explainable_types, mechanics, mechanism_of

from .deform_view import DeformView
from .gridding_view import GriddingView, dilated_chain
from .se_stages import se_stages
from .se_view import SEView
from .values import channel_maps
from .view import MechanismView, RunValues

__all__ = ["MechanismTab"]

SAMPLE, RUN = 0, 1


class MechanismTab(QWidget):
    """Mechanics of the selected node; see the module docstring.

    Signals
    -------
    channelChosen(int)
        A channel chosen in the SE picture.
    """

    channelChosen = Signal(int)

    def __init__(self, parent=None):
        from designer.panel.node_tab import NodeTab

        super().__init__(parent)
        self.frame = NodeTab()  # title over a placeholder or the content
        self.node_id: str | None = None
        self.views = None
        self._states: dict = {}
        self._pending = None
        self.values = QComboBox()
        self.values.addItems(["small integers", "the last run's activations"])
        self.values.setToolTip("Numbers shown in the grids")
        self.channel = QSpinBox()
        self.channel.setPrefix("output channel ")
        self.channel.setToolTip("The output channel shown (with the first input channel it "
                                "reads)")
        self.values_row = QWidget()
        row = QHBoxLayout(self.values_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Values"))
        row.addWidget(self.values)
        row.addWidget(self.channel)
        row.addStretch(1)
        self.view = MechanismView()
        self.gridding = GriddingView()
        self.deform = DeformView()
        self.deform_note = QLabel()
        self.deform_note.setTextFormat(Qt.TextFormat.RichText)
        self.deform_note.setWordWrap(True)
        self.se = SEView()
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 6, 0)
        lay.addWidget(self.values_row)
        for w in (self.view, self.gridding, self.deform_note, self.deform, self.se):
            lay.addWidget(w)
        lay.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        self.frame.set_content(self.scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.frame)
        for w in (self.gridding, self.deform, self.deform_note, self.se):
            w.hide()

        self.values.currentIndexChanged.connect(lambda _i: self._again())
        self.channel.valueChanged.connect(lambda _v: self._again())
        self.view.stage.outputHovered.connect(self._hovered)
        self.view.outputChosen.connect(lambda oy, ox: self.deform.choose(oy, ox))
        self.se.channelChosen.connect(self.channelChosen)

    # -- NodeTab's interface -----------------------------------------------------------------
    @property
    def title(self):
        """The title label."""
        return self.frame.title

    def show_message(self, text: str, actions=None) -> None:
        """A message instead of the pictures (the player stops)."""
        self.view.player.pause()
        self.frame.show_message(text, actions)
        self.node_id = None

    def _again(self) -> None:
        if self.views is not None and self.node_id is not None:
            self.show_node(self.views, self.node_id)

    # -- content -------------------------------------------------------------------------------
    def show_node(self, views, nid: str | None) -> None:
        """Show node ``nid`` of ``views`` (the panel's :class:`~designer.panel.views.Views`)."""
        self.views = views
        doc = views.doc
        if doc is None:
            self.show_message("Open a design, then select a layer to see how it computes.")
            return
        if nid is None or nid not in doc.graph.nodes:
            self.show_message("Select a layer on the canvas, or use <b>Help → Explain a "
                              "layer…</b> to try any parameters.")
            return
        node = doc.graph.nodes[nid]
        kind = node.kind
        if mechanism_of(kind) is None:
            if kind.captured("se_weights"):
                self._show_se(views, nid)
                return
            self.show_message(
                f"<b>{escape(nid)}</b> · {escape(node.type)}: {escape(kind.doc)}<br><br>"
                f"The Mechanism tab animates the layers that slide a window or resample "
                f"({escape(', '.join(explainable_types()))}); this one moves no window.")
            return
        out = doc.analyzer.outcome(nid)
        if out.result.error is not None or out.ins is None or out.shape is None:
            why = out.result.error.message if out.result.error else "no input shape yet"
            self.show_message(f"<b>{escape(nid)}</b>: {escape(why)}")
            return
        try:
            mech = mechanics(kind, out.params, out.ins, out.shape)
        except ValueError as exc:
            self.show_message(f"<b>{escape(nid)}</b>: {escape(str(exc))}")
            return
        self.node_id = nid
        self.channel.setMaximum(max(0, mech.out_channels - 1))
        self.view.show()
        self.values_row.show()
        run = self._run_values(views, nid, mech)
        summary = f" {out.result.summary}" if out.result.summary else ""
        self.frame.title.setText(
            f"<b>{escape(nid)}</b> · {escape(node.type)}{escape(summary)} · "
            f"{fmt_shape(out.ins.x)} → {fmt_shape(out.shape)} · one channel")
        self.frame.show_content()
        self.se.hide()
        self.view.show_mechanics(mech, run)
        self.gridding.show_chain(dilated_chain(doc.graph, doc.analyzer, nid))
        self._show_deform(views, nid, mech)

    def _run_values(self, views, nid: str, mech) -> RunValues | None:
        r = views.result
        usable = r is not None and nid in r.activations and \
            not views.panel.controller.node_changed_since_run(nid)
        model = self.values.model()
        model.item(RUN).setEnabled(bool(usable))
        self.channel.setVisible(self.values.currentIndex() == RUN and bool(usable))
        if self.values.currentIndex() != RUN or not usable:
            return None
        src = views.doc.graph.inputs_of(nid).get(0)
        source = r.activations.get(src)
        if source is None and src in r.inputs:
            source = r.inputs[src][0]
        output = r.activations[nid]
        if source is None or source.ndim != 3 or output.ndim != 3 or \
                tuple(source.shape[1:]) != mech.input_size or \
                tuple(output.shape[1:]) != mech.output_size:
            return None
        x, y, c_in, n = channel_maps(source, output, mech.channel_links, self.channel.value())
        stale = "" if views.panel.controller.result_is_current() else \
            " (from before the last change: run again)"
        caption = (f"Values: channel {self.channel.value()} of {escape(nid)}'s output and "
                   f"channel {c_in} of {escape(src)}, from the last run{stale}. "
                   + (f"Each output reads {n} input channels; one is shown. " if n > 1 else "")
                   + "Click an output to move there.")
        return RunValues(x.astype(float), y.astype(float), n, caption)

    def _show_deform(self, views, nid: str, mech) -> None:
        if mech.mechanism != "deformable":
            self.deform.hide()
            self.deform_note.hide()
            return
        data = views.offsets_data(nid)
        if data is None:
            self.deform.hide()
            self.deform_note.setText(look.span(
                "Run the network (Ctrl+R) to see where this deformable conv samples: "
                "p0 + pn + Δpn with the four bilinear neighbours of each sample.",
                look.INK_SOFT))
            self.deform_note.show()
            return
        self.deform_note.hide()
        params, offsets, mask, picture, what = data
        self.deform.show_offsets(nid, params, offsets, mask, picture, what)

    def _hovered(self, lane) -> None:
        if lane is not None and self.deform.isVisible():
            self.deform.choose(*lane)

    # -- squeeze and excitation -----------------------------------------------------------------
    def _show_se(self, views, nid: str) -> None:
        r = views.result
        if r is None or nid not in r.se_weights or nid not in r.activations:
            self.show_message(f"Run the network (Ctrl+R) to see how <b>{escape(nid)}</b> "
                              "squeezes, excites and scales its channels.",
                              [("▶ Run", views.panel.run)])
            return
        src = views.doc.graph.inputs_of(nid).get(0, "")
        before, after = r.activations.get(src), r.activations[nid]
        if before is None or before.ndim not in (3, 4):
            self.show_message(f"<b>{escape(nid)}</b>: the last run has no input maps for it.")
            return
        if before.ndim == 4:  # 3-D maps: the middle frame
            before, after = before[:, before.shape[1] // 2], after[:, after.shape[1] // 2]
        key = (nid, id(r))
        state = self._states.get(key)
        if state is None:
            self._fetch_state(views, key, nid)
        self.node_id = nid
        self.frame.title.setText(f"<b>{escape(nid)}</b> · squeeze → excite → scale")
        self.frame.show_content()
        for w in (self.view, self.values_row, self.gridding, self.deform, self.deform_note):
            w.hide()
        self.view.player.pause()
        self.se.show()
        self.se.show_stages(nid, src, se_stages(before, after, r.se_weights[nid], state,
                                                f"{nid}."))

    def _fetch_state(self, views, key, nid: str) -> None:
        """The block's weights from the engine (the run captures only its output)."""
        if self._pending == key:
            return
        self._pending = key
        controller = views.panel.controller

        def job(ctx, spec):
            state = controller._ready(ctx, spec).state_dict()
            return {k: v for k, v in state.items() if k.startswith(f"{nid}.")}

        def done(state) -> None:
            self._pending = None
            self._states = {key: state}
            if self.node_id == nid and self.se.isVisible():
                self._show_se(views, nid)

        def failed(*_args) -> None:
            self._pending = None

        controller._submit("block weights", job, done, on_fail=failed, on_cancel=failed)
