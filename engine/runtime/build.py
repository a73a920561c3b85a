"""Build a graph as a torch module and run it, with optional capture.

:func:`build_model` turns a valid :class:`~engine.graph.Graph` into a
:class:`GraphModule`: one submodule per node that has a module, named by the
node id (``model.conv1``), constructed from the catalogue's
``kind.ctor(params, ins, out, feeds_unpool=...)`` exactly as the exporter
writes it, so the engine's ``state_dict`` and the exported class's have the
same keys. Merges (written inline in exported code: ``kind.has_module`` is
False) get the parameterless modules of :mod:`engine.nnlib`; ``Input`` nodes
get none. A module whose kind makes pooling indices returns them too when an
edge takes them to an ``"indices"`` slot (``kind.makes_indices``,
``kind.slot_role``).

Initialisation is deterministic: inside :func:`torch.random.fork_rng` (so the
caller's global generator is left alone), ``torch.manual_seed(seed)`` is set
and the modules are constructed in the graph's topological order
(``Graph.topo_order()``: insertion order breaks ties). The exported class
constructs its submodules in that same order, so ``torch.manual_seed(seed);
Net()`` gives the engine's weights too.

:func:`run_trace` runs the graph and can capture every node's
activation and what the catalogue says each kind gives up
(``kind.captures``: a forward hook on the named submodule per role, e.g. the
channel weights of a squeeze-excitation's ``gate``, role ``"se_weights"``,
and the offsets and masks of a deformable conv's ``offset_conv``, role
``"offsets"``), calling a progress callback after each node. Hooks are
registered only for a capturing run, so a plain ``forward`` pays nothing for
them; a plain run drops every tensor after its last use.

The memory estimate and limit, and the allocator tuning of the first build,
are in :mod:`.memory`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from .. import nnlib
from ..analysis import Analyzer
from ..export import INDICES, refusal, returns_indices
from ..graph import Graph, GraphEditError
from .errors import RuntimeGraphError
from .memory import (
    check_memory,
    default_memory_limit,
    estimate_bytes,
    estimate_memory,
    tune_allocator,
)

__all__ = ["GraphModule", "GraphInfo", "Trace", "build_model", "run_trace", "graph_info",
           "estimate_bytes", "default_memory_limit", "check_memory", "feeds_unpool",
           "resolve_class", "as_graph", "split_offsets", "tune_allocator"]


# -- construction ---------------------------------------------------------------------
def resolve_class(name: str) -> type[nn.Module]:
    """``"nn.Conv2d"`` -> :class:`torch.nn.Conv2d`; a bare name -> :mod:`engine.nnlib`."""
    if name.startswith("nn."):
        cls = getattr(nn, name[3:], None)
    else:
        cls = getattr(nnlib, name, None) if name in nnlib.__all__ else None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise RuntimeGraphError(f"unknown module class {name!r} in the catalogue")
    return cls


def feeds_unpool(graph: Graph, node_id: str) -> bool:
    """Whether the node's module returns pooling indices too (``return_indices``).

    Its kind makes them and an edge takes them to an ``"indices"`` slot: the
    exporter's rule (:func:`engine.export.returns_indices`), so that both
    build the same modules.
    """
    return returns_indices(graph, node_id)


def as_graph(graph) -> Graph:
    """A :class:`Graph` from a Graph (returned as is) or a graph-file dict."""
    if isinstance(graph, Graph):
        return graph
    if isinstance(graph, Mapping):
        try:
            return Graph.from_dict(graph)
        except GraphEditError as exc:
            raise RuntimeGraphError(f"invalid graph: {exc.message}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RuntimeGraphError(f"invalid graph description: {exc!r}") from None
    raise TypeError(f"expected a Graph or a graph dict, got {type(graph).__name__}")


@dataclass(frozen=True)
class GraphInfo:
    """What the model knows about its graph (ids in the orders the runtime uses).

    ``input_ids`` and ``output_ids`` follow the node order of the graph (file
    order); ``order`` is the topological order the model runs in.
    """

    name: str
    order: tuple[str, ...]
    types: dict[str, str]
    input_ids: tuple[str, ...]
    output_ids: tuple[str, ...]
    shapes: dict[str, tuple[int, ...]]
    sources: dict[str, tuple[str, ...]]
    estimate: int
    #: ``(node id, role, submodule)`` of every capture a capturing run hooks,
    #: from the catalogue (``kind.captures``), in topological order
    captures: tuple[tuple[str, str, str], ...] = ()

    def capturing(self, role: str) -> tuple[str, ...]:
        """Ids of the nodes from which a capturing run takes ``role``."""
        return tuple(nid for nid, r, _ in self.captures if r == role)


#: The :class:`Trace` field that keeps each capture role's tensors (the roles of
#: ``LayerKind.captures``).
ROLE_FIELDS = {"se_weights": "se_weights", "offsets": "offset_logits"}


@dataclass
class Trace:
    """Tensors of one run (batch dimension kept); see :func:`run_trace`.

    ``se_weights`` holds the output of each node's ``"se_weights"`` capture
    (the gate: channel weights), ``offset_logits`` that of its ``"offsets"``
    capture (the offset conv, mask logits included).
    """

    outputs: tuple[torch.Tensor, ...]
    shapes: dict[str, tuple[int, ...]]
    activations: dict[str, torch.Tensor] = field(default_factory=dict)
    se_weights: dict[str, torch.Tensor] = field(default_factory=dict)
    offset_logits: dict[str, torch.Tensor] = field(default_factory=dict)
    completed: bool = True


@dataclass
class _State:
    info: GraphInfo
    # (node_id, arg keys or None for an Input, kwargs, returns (values, indices),
    #  env keys read for the last time by this step)
    steps: list


class GraphModule(nn.Module):
    """A graph as a torch module; submodules are named by node id.

    Call it like the exported class: ``model(*inputs)`` with one tensor per
    ``Input`` (``graph_info(model).input_ids`` order, batch first) returns a
    tensor for one output node or a tuple in node order for several. Use
    :func:`run_trace` for captures and progress, :func:`graph_info` for ids
    and shapes.

    The class defines nothing but ``forward`` and keeps its bookkeeping in the
    attribute ``__cc__`` (node ids of the form ``__x__`` are illegal), so no
    legal node id can clash with it.
    """

    def __init__(self, info: GraphInfo, steps: list):
        super().__init__()
        self.__cc__ = _State(info, steps)

    def forward(self, *inputs: torch.Tensor):
        """Run the graph on one tensor per Input (``input_ids`` order, batch first).

        Returns
        -------
        Tensor or tuple of Tensor
            The output node's tensor, or a tuple in node order for several.

        Raises
        ------
        ValueError
            The number of inputs or an input's shape does not fit the graph.
        """
        outputs = run_trace(self, inputs).outputs
        return outputs[0] if len(outputs) == 1 else outputs


def graph_info(model: GraphModule) -> GraphInfo:
    """The :class:`GraphInfo` of a model built by :func:`build_model`."""
    return model.__cc__.info


def run_trace(model: GraphModule, inputs: Sequence[torch.Tensor] | Mapping[str, torch.Tensor],
              *, capture: bool = False, callback: Callable[[int, int, str], Any] | None = None,
              until: str | None = None) -> Trace:
    """Run the graph once.

    Parameters
    ----------
    model : GraphModule
        The model.
    inputs : sequence or mapping of Tensor
        One ``[N, C, (D,) H, W]`` tensor per Input, in ``input_ids`` order, or
        keyed by Input id.
    capture : bool, optional
        Keep every node's activation (the tensor, batch included; for a
        pool that returns indices, its values) and every capture of
        ``GraphInfo.captures`` (a hook on the submodule the kind names): SE
        channel weights in ``Trace.se_weights``, offset-conv outputs in
        ``Trace.offset_logits``.
    callback : callable, optional
        ``callback(done, total, node_id)`` after each node (Inputs count);
        it may raise :class:`~engine.runtime.errors.RunCancelled` to stop.
    until : str, optional
        Stop after this node (its activation is then always kept);
        ``Trace.completed`` is False and ``outputs`` empty.

    Returns
    -------
    Trace
    """
    state = model.__cc__
    info = state.info
    if isinstance(inputs, Mapping):
        missing = [i for i in info.input_ids if i not in inputs]
        if missing:
            raise ValueError(f"no tensor given for Input {', '.join(missing)}")
        inputs = [inputs[i] for i in info.input_ids]
    if len(inputs) != len(info.input_ids):
        raise ValueError(f"expected {len(info.input_ids)} input tensor(s) "
                         f"({', '.join(info.input_ids)}), got {len(inputs)}")
    env: dict[Any, torch.Tensor] = {}
    for nid, x in zip(info.input_ids, inputs, strict=True):
        want = info.shapes[nid]
        if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != want:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"Input {nid} expects a tensor [N, {', '.join(map(str, want))}]"
                             f", got {got}")
        env[nid] = x
    trace = Trace((), {})
    acts = trace.activations if capture or until else None
    modules = model._modules
    handles = _hooks(model, trace) if capture else []
    total = len(info.order)
    try:
        free = acts is None  # a plain run drops each tensor after its last use
        for done, (nid, args, kwargs, pair, last) in enumerate(state.steps, 1):
            if args is None:  # an Input
                out = env[nid]
            else:
                out = modules[nid](*[env[a] for a in args], **kwargs)
                if pair:
                    env[(nid, 1)] = out[1]
                    out = out[0]
                env[nid] = out
                if free:
                    for key in last:
                        del env[key]
            trace.shapes[nid] = tuple(out.shape[1:])
            if acts is not None and (capture or nid == until):
                acts[nid] = out
            if callback is not None:
                callback(done, total, nid)
            if nid == until:
                trace.completed = False
                return trace
    finally:
        for h in handles:
            h.remove()
    trace.outputs = tuple(env[o] for o in info.output_ids)
    return trace


def _hooks(model: GraphModule, trace: Trace) -> list:
    """A forward hook on each captured submodule, storing its output in ``trace``."""
    handles = []
    for nid, role, sub in model.__cc__.info.captures:
        store = getattr(trace, ROLE_FIELDS[role])

        def hook(_m, _args, out, nid=nid, store=store):
            store[nid] = out
        handles.append(model._modules[nid].get_submodule(sub).register_forward_hook(hook))
    return handles


def split_offsets(module: nnlib.DeformConv2d, logits: torch.Tensor):
    """``(offsets, mask or None)`` from the offset conv's output ``[N, ch, Ho, Wo]``.

    ``module`` is the module of a kind whose ``"offsets"`` capture gave ``logits``.
    """
    kh, kw = module.kernel_size
    n = 2 * module.offset_groups * kh * kw
    mask = torch.sigmoid(logits[:, n:]) if module.modulated else None
    return logits[:, :n], mask


def build_model(graph, seed: int = 0, analyzer: Analyzer | None = None, *,
                memory_limit: int | None = None) -> GraphModule:
    """Build ``graph`` as a :class:`GraphModule` in eval mode.

    Parameters
    ----------
    graph : Graph or dict
        The graph (a graph-file dict is accepted too).
    seed : int, optional
        ``torch.manual_seed(seed)`` is set (inside ``fork_rng``: the global
        generator is restored afterwards) before the modules are constructed
        in topological order.
    analyzer : Analyzer, optional
        An up-to-date analyzer of ``graph`` to reuse (the designer keeps one).
    memory_limit : int, optional
        Bytes; default :func:`default_memory_limit`.

    Returns
    -------
    GraphModule

    Raises
    ------
    RuntimeGraphError
        The graph has analysis errors (all listed in the message and in
        ``.errors``), holds a node that has no module (an Opaque operation: the
        message names it and its op, :func:`engine.export.refusal`) or a node id
        clashes with a torch module attribute.
    MemoryLimitError
        The estimated memory of a capturing run (:func:`.memory.estimate_memory`:
        per node from the catalogue, weights included) is above the limit.
    """
    tune_allocator()
    graph = as_graph(graph)
    own = analyzer is None
    an = Analyzer(graph) if own else analyzer
    try:
        result = an.result()
        if not result.valid:
            raise RuntimeGraphError.from_issues(result.errors)
        why = refusal(graph)
        if why:  # a node without a module (an imported Opaque operation)
            raise RuntimeGraphError(why)
        estimate = check_memory(estimate_memory(graph, an), memory_limit, "running the graph")
        order = graph.topo_order()
        outcomes = {nid: an.outcome(nid) for nid in order}
    finally:
        if own:
            an.close()

    node_order = list(graph.nodes)
    input_ids = tuple(n for n in node_order if graph.nodes[n].type == "Input")
    output_ids = tuple(n for n in node_order if not graph.successors(n))
    types = {n: graph.nodes[n].type for n in node_order}
    sources = {n: tuple(s for _, s in sorted(graph.inputs_of(n).items())) for n in order}
    for n in order:
        for role, _sub in graph.nodes[n].kind.captures:
            if role not in ROLE_FIELDS:
                raise RuntimeGraphError(f"{n}: internal: unknown capture role {role!r}")
    info = GraphInfo(
        name=graph.name, order=tuple(order), types=types, input_ids=input_ids,
        output_ids=output_ids, shapes={n: tuple(outcomes[n].shape) for n in order},
        sources=sources, estimate=estimate,
        captures=tuple((n, role, sub) for n in order
                       for role, sub in graph.nodes[n].kind.captures))

    steps = []
    model = GraphModule(info, steps)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for nid in order:
            node = graph.nodes[nid]
            o = outcomes[nid]
            kind = node.kind
            if kind.type == "Input":
                steps.append((nid, None, None, False, ()))
                continue
            pair = feeds_unpool(graph, nid)
            ctor = kind.ctor(o.params, o.ins, o.shape, feeds_unpool=pair)
            cls = resolve_class(ctor.cls)
            if hasattr(model, nid):
                raise RuntimeGraphError(f"{nid}: the node id clashes with an attribute of "
                                        "torch's nn.Module; rename the node")
            try:
                module = cls(*ctor.args, **dict(ctor.kwargs))
            except (TypeError, ValueError, RuntimeError) as exc:
                raise RuntimeGraphError(f"{nid}: torch refuses {ctor.cls}: {exc}") from None
            model.add_module(nid, module)
            ports = graph.inputs_of(nid)
            args = []
            for port in range(len(ports)):
                src = ports[port]
                use_indices = kind.slot_role(port) == INDICES
                args.append((src, 1) if use_indices else src)
            kwargs = dict(kind.call_kwargs(o.params, o.ins, o.shape))
            steps.append((nid, tuple(args), kwargs, pair, ()))
    _plan_frees(steps, set(output_ids))
    model.eval()
    return model


def _plan_frees(steps: list, keep: set) -> None:
    """Fill each step's last slot with the env keys whose last reader it is."""
    last_reader: dict = {}
    for i, (_nid, args, _kw, _pair, _last) in enumerate(steps):
        for a in args or ():
            last_reader[a] = i
    frees: dict[int, list] = {}
    for key, i in last_reader.items():
        if (key[0] if isinstance(key, tuple) else key) not in keep or isinstance(key, tuple):
            frees.setdefault(i, []).append(key)
    for i, keys in frees.items():
        nid, args, kwargs, pair, _ = steps[i]
        # a key read twice by the same step (Add(x, x)) is freed once, after the call
        steps[i] = (nid, args, kwargs, pair, tuple(dict.fromkeys(keys)))
