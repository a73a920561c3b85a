"""What each tab of the engine panel shows, given the document, selection and last run.

:class:`Views` turns the panel's state (document, selected node, the
controller's last :class:`~engine.runtime.RunResult` and Input tensors) into
calls on the tabs. Tabs are redrawn lazily: a change marks every tab dirty
and only the visible one is redrawn at once; the others when shown.
"""

from __future__ import annotations

import numpy as np

from designer.look import fmt_shape
from engine.analysis import exact_footprint
from engine.catalogue import CATALOGUE, LayerError
from engine.catalogue.base import resolve_padding
from engine.runtime.images import takes_image

from . import fmt
from .blockers import show_blockers
from .fmt import picture
from .rf_tab import most_active_index

__all__ = ["Views", "input_sources"]


class Views:
    """Redraws the tabs of an :class:`~designer.panel.EnginePanel` when needed.

    Parameters
    ----------
    panel : EnginePanel
    """

    def __init__(self, panel):
        self.panel = panel
        self.tabs = {panel.image_tab: self._image, panel.maps_tab: self._maps,
                     panel.offsets_tab: self._offsets, panel.se_tab: self._se,
                     panel.rf_tab: self._rf, panel.weights_tab: lambda: None,
                     panel.code_tab: lambda: None,
                     panel.mechanism_tab: lambda: panel.mechanism_tab.show_node(self,
                                                                               self.node())}
        self.dirty = set(self.tabs)
        self.rf_node: str | None = None
        self.rf_index: tuple[int, ...] | None = None
        self._rf_auto: str | None = None  # the node the RF tab last started on its busiest channel

    # -- bookkeeping -------------------------------------------------------------------
    def invalidate(self) -> None:
        """Every tab must be redrawn (when it is next visible)."""
        self.dirty = set(self.tabs)

    def mark_dirty(self, tab) -> None:
        """Mark ``tab`` to be redrawn on its next :meth:`refresh`."""
        self.dirty.add(tab)

    def refresh(self, tab) -> None:
        """Redraw ``tab`` if it is dirty."""
        if tab in self.dirty:
            self.dirty.discard(tab)
            self.tabs[tab]()

    # -- shared facts ----------------------------------------------------------------------
    @property
    def doc(self):
        """The panel's document (None without one)."""
        return self.panel.doc

    @property
    def result(self):
        """The controller's last run result (None before a run or after a document change)."""
        return self.panel.controller.result

    def node(self) -> str | None:
        """The node to show: the selection, else a sensible default."""
        return self.panel.node_id or self.default_node()

    def default_node(self) -> str | None:
        """The first node with a spatial output that slides a window over the grid
        (a convolution, a pooling, an upsampling), else the last node with a spatial
        output, else the last node.

        Its maps still look like the image, which is what a first run should show.
        """
        if self.doc is None:
            return None
        analysis = self.doc.result()
        spatial = None
        for nid in analysis.order:
            res = analysis.nodes[nid]
            if res.shape is None or len(res.shape) < 3 or min(res.shape[1:]) <= 1:
                continue
            if self._windowed(nid, res.shape):
                return nid
            spatial = nid
        return spatial or (analysis.order[-1] if analysis.order else None)

    def _windowed(self, nid: str, shape) -> bool:
        """Whether ``nid`` changes the receptive field (its kind's ``rf_ops`` are not
        the identity on every axis)."""
        outcome = self.doc.analyzer.outcome(nid)
        if outcome.params is None:
            return False
        kind = self.doc.graph.nodes[nid].kind
        try:
            return any(kind.rf_ops(outcome.params, outcome.ins, shape))
        except (LayerError, ValueError, IndexError):
            return False

    def _title(self, nid: str, shape) -> str:
        res = self.doc.result().nodes.get(nid)
        node = self.doc.graph.nodes.get(nid)
        kind = node.type if node else "?"
        summary = f" {res.summary}" if res is not None and res.summary else ""
        text = f"<b>{nid}</b> · {kind}{summary} · {fmt_shape(shape)}"
        if self.panel.node_id is None:
            text += " " + fmt.muted("(select a node on the canvas to change)")
        if not self.panel.controller.result_is_current():
            text += fmt.STALE_NOTE
        return text

    def _run_actions(self):
        return [("▶ Run", self.panel.run)]

    def _nodes_capturing(self, role: str) -> list[str]:
        """Nodes whose kind the runtime captures ``role`` from (``"offsets"``, ...)."""
        if self.doc is None:
            return []
        return [n.id for n in self.doc.graph.nodes.values() if n.kind.captured(role)]

    def _choose_actions(self, ids: list[str]):
        def chooser(nid):
            def go():
                self.panel.select_node(nid)
                self.panel.nodeRequested.emit(nid)
            return go
        return [(f"Show {nid}", chooser(nid)) for nid in ids[:4]]

    def _no_doc(self, tab) -> bool:
        if self.doc is None:
            tab.show_message("Open a design to run it.")
            return True
        return False

    # -- tabs ------------------------------------------------------------------------------
    def _image(self) -> None:
        p = self.panel
        c = p.controller
        p.image_tab.set_current(c.image_path)
        if self.doc is None:
            p.image_tab.show_message("Open a design to see what its Input receives.")
            return
        if c.inputs is None:
            if not c.jobs.pending("prepare"):
                c.prepare_inputs()
            p.image_tab.show_message("Preparing the Input tensor…")
            self.dirty.add(p.image_tab)  # redraw when inputsReady arrives
            return
        size = c.image.shape[:2] if c.image is not None else None
        p.image_tab.set_inputs(c.inputs, c.image_name, size)

    def _maps(self) -> None:
        tab = self.panel.maps_tab
        if self._no_doc(tab):
            return
        nid = self.node()
        if nid is None:
            tab.show_message("The design is empty: add an Input and some layers.")
            return
        errors = self.doc.result().errors
        if errors and (self.result is None or nid not in self.result.activations):
            show_blockers(tab, errors, lambda n: self._choose_actions([n])[0][1]())
            return
        if self.result is None:
            tab.show_message(f"Run the network (Ctrl+R) to see the feature maps of "
                             f"<b>{nid}</b>.", self._run_actions())
            return
        act = self.result.activations.get(nid)
        if act is None:
            tab.show_message(f"The last run has no activation for <b>{nid}</b> (the graph "
                             "changed since): run again.", self._run_actions())
            return
        tab.show_activation(nid, act, self._title(nid, act.shape))

    def _offsets(self) -> None:
        tab = self.panel.offsets_tab
        if self._no_doc(tab):
            return
        nid = self.node()
        ids = self._nodes_capturing("offsets")
        if nid not in ids:
            names, families = _kinds_capturing("offsets")
            if ids:
                tab.show_message(f"Select a <b>{names}</b> node to see where it "
                                 "samples.", self._choose_actions(ids))
            else:
                tab.show_message(f"This design has no deformable convolution. Add a "
                                 f"<b>{names}</b> from the palette ({families}) to see "
                                 "learned sampling offsets.")
            return
        r = self.result
        if r is None or nid not in r.offsets:
            tab.show_message(f"Run the network (Ctrl+R) to see the offsets of <b>{nid}</b>.",
                             self._run_actions())
            return
        if self.panel.controller.node_changed_since_run(nid):
            # the offsets were computed with other parameters (kernel, stride, ...):
            # drawn with the new ones they would be wrong, or not fit at all
            tab.show_message(f"The parameters of <b>{nid}</b> changed since the last run: "
                             "run again to see where it samples.", self._run_actions())
            return
        params, offsets, mask, pic, what = self.offsets_data(nid)
        tab.show_offsets(nid, params, offsets, mask, pic, what,
                         trained=bool(self.panel.controller.trained),
                         stale=not self.panel.controller.result_is_current(),
                         kind_name=self.doc.graph.nodes[nid].type)

    def offsets_data(self, nid: str):
        """``(params, offsets, mask, picture, what)`` of deformable node ``nid`` from the
        last run (the Offsets and Mechanism tabs), or None without current offsets."""
        r = self.result
        if self.doc is None or r is None or nid not in r.offsets or \
                self.panel.controller.node_changed_since_run(nid):
            return None
        params = dict(self.doc.analyzer.outcome(nid).params or {})
        params["padding"] = _left_pads(params)
        src = self.doc.graph.inputs_of(nid).get(0)
        if src in r.inputs:
            pic, what = picture(r.inputs[src][0]), f"image <b>{src}</b>"
        elif src in r.activations:
            pic, what = picture(r.activations[src]), f"channel mean of <b>{src}</b>"
        else:
            h, w = r.offsets[nid].shape[1:]
            pic, what = np.zeros((h, w), np.float32), "unknown"
        if pic.ndim == 3 and pic.shape[2] != 3:
            pic = pic.mean(axis=2)
        return params, r.offsets[nid], r.masks.get(nid), pic, what

    def _se(self) -> None:
        tab = self.panel.se_tab
        if self._no_doc(tab):
            return
        nid = self.node()
        ids = self._nodes_capturing("se_weights")
        if nid not in ids:
            names, families = _kinds_capturing("se_weights")
            if ids:
                tab.show_message(f"Select a <b>{names}</b> node to see its channel "
                                 "weights.", self._choose_actions(ids))
            else:
                tab.show_message(f"This design has no Squeeze-and-Excitation block. Add a "
                                 f"<b>{names}</b> node from the palette ({families}) to see "
                                 "how it reweights channels.")
            return
        r = self.result
        if r is None or nid not in r.se_weights:
            tab.show_message(f"Run the network (Ctrl+R) to see the channel weights of "
                             f"<b>{nid}</b>.", self._run_actions())
            return
        src = self.doc.graph.inputs_of(nid).get(0, "")
        before = r.activations.get(src)
        after = r.activations.get(nid)
        if before is not None and before.ndim == 4:  # 3-D maps: the middle frame
            before, after = before[:, before.shape[1] // 2], after[:, after.shape[1] // 2]
        tab.show_weights(nid, r.se_weights[nid], before, after, src,
                         self.panel.maps_tab.colormap)

    def _rf(self) -> None:
        tab = self.panel.rf_tab
        if self._no_doc(tab):
            return
        nid = self.node()
        if nid is None:
            tab.show_message("Select a node to see the receptive field of its outputs.")
            return
        res = self.doc.result().nodes.get(nid)
        if res is None or res.rf is None or res.shape is None:
            tab.show_message(f"<b>{nid}</b> has no receptive field yet (fix the errors "
                             "first).")
            return
        rf = res.rf
        input_res = self.doc.result().nodes.get(rf.input)
        input_shape = input_res.shape if input_res is not None else (1, 1, 1)
        c = self.panel.controller
        current = c.result_is_current()
        tensor = None
        inputs = c.inputs or (self.result.inputs if self.result is not None else None)
        if inputs and rf.input in inputs and tuple(inputs[rf.input].shape[1:]) == \
                tuple(input_shape):
            tensor = inputs[rf.input][0]
        index = self.rf_index if self.rf_node == nid else None
        out_map = None
        act = self.result.activations.get(nid) if self.result is not None else None
        if act is not None and current and tuple(act.shape) == tuple(res.shape) and \
                act.ndim >= 3:
            if index is None and (tab.node_id != nid or self._rf_auto != nid):
                index = most_active_index(act)  # first shown with a run: the busiest channel
                self._rf_auto = nid
            ch = index[0] if index else 0
            m = act[min(ch, act.shape[0] - 1)]
            out_map = m[index[1] if index and m.ndim == 3 else m.shape[0] // 2] \
                if m.ndim == 3 else m
        analyzer = self.doc.analyzer
        tab.show_node(nid, rf, res.shape, out_map, tensor, input_shape, current, index,
                      footprint_of=lambda idx: exact_footprint(analyzer, nid, idx, rf.input))

    def set_rf_index(self, node_id: str, index: tuple[int, ...]) -> None:
        """The output element chosen in the Maps tab (for the RF tab)."""
        self.rf_node = node_id
        self.rf_index = tuple(int(i) for i in index)
        self.mark_dirty(self.panel.rf_tab)


def input_sources(doc) -> dict[str, str]:
    """Input id -> ``"image"`` or ``"random"``: what a run will feed each Input of ``doc``.

    The engine's rule (:func:`engine.runtime.images.takes_image`, torch-free).
    """
    if doc is None:
        return {}
    out = {}
    for node in doc.graph.nodes.values():
        if node.type == "Input":
            p = node.resolved()
            out[node.id] = "image" if takes_image(p["channels"], p["depth"]) else "random"
    return out


def _kinds_capturing(role: str) -> tuple[str, str]:
    """The types and families of the kinds the runtime captures ``role`` from, as text
    (``"DeformConv2d"``, ``"Deformable"``)."""
    kinds = [k for k in CATALOGUE.values() if k.captured(role)]
    return (" or ".join(k.type for k in kinds),
            ", ".join(dict.fromkeys(k.family for k in kinds)))


def _left_pads(params: dict) -> tuple[int, ...]:
    """The padding before the first pixel, per axis, of a conv's normalised parameters
    (the engine's rule: ``"same"`` puts an odd extra pixel on the bottom/right)."""
    k = tuple(params.get("kernel_size", (1, 1)))
    try:
        pads = resolve_padding(params.get("padding", (0,) * len(k)), k,
                               tuple(params.get("stride", (1,) * len(k))),
                               tuple(params.get("dilation", (1,) * len(k))), len(k))
    except LayerError:  # "same" with a stride: the node has an error and no offsets
        pads = ((0, 0),) * len(k)
    return tuple(left for left, _right in pads)
