"""Export a graph as standalone, readable PyTorch source (``main.py export``).

Torch-free (checked by import-linter): the exporter writes text. The output
imports only ``torch`` (plus ``torch.nn.functional as F`` and ``math`` when
the copied library code needs them) and defines:

- the helper classes of :mod:`engine.nnlib` the graph uses (and, for
  ``DeformConv2d``, the ``deform_conv2d`` functions of :mod:`engine.deform`),
  copied verbatim: their source text is cut out of those files with
  :mod:`ast`, without importing them;
- ``class <Name>(nn.Module)``, whose ``__init__`` builds one submodule per
  node with exactly the catalogue's ``Ctor`` call (the runtime builds the
  same, so the ``state_dict`` keys match), in topological order (so
  ``torch.manual_seed(s); <Name>()`` also gives the engine's initial weights),
  and whose ``forward`` follows the graph with the node ids as variable names,
  merges written inline (``kind.call_code``), returning a tensor for one
  output or a tuple in node order for several.

Nothing from the graph file reaches the code except validated identifiers
(node ids, the class name derived from the graph name) and numbers (``math.inf``
too) or whitelisted words; the description is never copied. A graph with a node
that has no module (an imported Opaque operation) is refused (:func:`refusal`).
Lines are kept within 100 columns (:mod:`engine.codelayout`) so the result passes
``ruff check`` with the project's config.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .analysis import Analyzer
from .atomic import atomic_write_text
from .codelayout import LINE, assign, lay
from .graph import Graph, GraphEditError, check_id

__all__ = ["ExportError", "export_code", "write_export", "class_name_for", "check_class_name",
           "refusal"]

HERE = Path(__file__).resolve().parent
LIBRARY_FILES = tuple(HERE / f for f in (  # emission order
    "deform_mm.py", "deform_sampling.py", "deform.py", "nnlib.py"))

#: How the exported file spells each module-level name the library code may use.
IMPORTS = {"math": "import math", "time": "import time", "torch": "import torch",
           "F": "import torch.nn.functional as F", "nn": "from torch import nn"}

#: The slot role of a consumer of pooling indices (``LayerKind.slot_role``).
INDICES = "indices"

#: Words (from the catalogue's choices) allowed as string literals in the code.
WORD_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,31}\Z")


class ExportError(ValueError):
    """The graph cannot be exported (its analysis errors are in the message)."""

    def __init__(self, message: str, errors=()):
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)


# -- the library (nnlib classes, deform functions), read as text -------------------------
@dataclass(frozen=True)
class _Def:
    name: str
    source: str
    deps: frozenset[str]      # other library definitions it uses
    imports: frozenset[str]   # module-level names among IMPORTS it uses
    rank: int                 # emission order
    is_class: bool


@lru_cache(maxsize=1)
def _library() -> dict[str, _Def]:
    """Top-level functions and classes of the :data:`LIBRARY_FILES`, with dependencies."""
    raw = []
    for path in LIBRARY_FILES:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = text.splitlines()
        imported = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    imported.add(alias.asname or alias.name.split(".")[0])
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            source = "\n".join(lines[first - 1:node.end_lineno])
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            raw.append((node.name, source, used, imported, isinstance(node, ast.ClassDef)))
    names = {r[0] for r in raw}
    out = {}
    for rank, (name, source, used, imported, is_class) in enumerate(raw):
        deps = frozenset((used & names) - {name})
        mods = (used & imported) - names
        unknown = mods - set(IMPORTS)
        if unknown:
            raise ExportError(f"internal: library code {name} uses {sorted(unknown)}, which "
                              "the exporter cannot import")
        out[name] = _Def(name, source, deps, frozenset(mods), rank, is_class)
    return out


def _closure(names) -> list[_Def]:
    lib = _library()
    seen: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        if n not in lib:
            raise ExportError(f"internal: no definition of {n} in the library")
        seen.add(n)
        stack.extend(lib[n].deps)
    return sorted((lib[n] for n in seen), key=lambda d: d.rank)


# -- literals and names ----------------------------------------------------------------
def _literal(v) -> str:
    """Python source of a Ctor argument; only numbers, bools, None and plain words."""
    if v is None or isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if math.isinf(v):  # a padding value (the code then imports math)
            return "math.inf" if v > 0 else "-math.inf"
        if not math.isfinite(v):
            raise ExportError(f"cannot export the non-finite number {v!r}")
        return repr(float(v))
    if isinstance(v, str):
        if not WORD_RE.match(v):
            raise ExportError(f"cannot export the text value {v[:20]!r}")
        return f'"{v}"'
    if isinstance(v, tuple):
        items = [_literal(x) for x in v]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(v, list):
        return f"[{', '.join(_literal(x) for x in v)}]"
    raise ExportError(f"cannot export a value of type {type(v).__name__}")


def _check_id(nid: str) -> str:
    """``nid`` if it can name a submodule (the graph model's rule, :func:`check_id`)."""
    try:
        return check_id(nid)
    except GraphEditError as exc:
        raise ExportError(f"{exc.message}: it cannot name a submodule in exported code; "
                          "rename the node") from None


def class_name_for(name: str | None) -> str:
    """CamelCase identifier from a graph name: ``"HDC dilated stack"`` -> ``HDCDilatedStack``.

    Only ASCII letters and digits survive; a leading digit gets a ``Net``
    prefix; an empty result, a keyword or a name the exported code uses is
    replaced by / suffixed with ``Net``.
    """
    words = re.findall(r"[A-Za-z0-9]+", name or "")
    text = "".join(w[0].upper() + w[1:] for w in words)[:64]
    if not text:
        return "Net"
    if text[0].isdigit():
        text = "Net" + text
    if keyword.iskeyword(text) or text in _taken_names():
        text += "Net"
    return text


@lru_cache(maxsize=1)
def _taken_names() -> frozenset[str]:
    return frozenset(set(_library()) | set(IMPORTS) | {"self", "super", "Tensor"})


def check_class_name(name: str) -> str:
    """``name`` if it can name the exported class, else :class:`ExportError` says why."""
    try:  # the id rule: a full match (no trailing newline), no leading __, no keyword
        check_id(name)
    except GraphEditError as exc:
        why = exc.message.replace("node id", "class name", 1)
        raise ExportError(why) from None
    if name in _taken_names():
        raise ExportError(f"class name {name!r} clashes with a name the exported code uses")
    return name


def _shape(shape) -> str:
    return "[N, " + ", ".join(str(int(v)) for v in shape) + "]"


# -- export ------------------------------------------------------------------------------
def refuse_errors(result) -> None:
    """Raise :class:`ExportError` listing every analysis error of ``result`` in one
    line (nothing when the graph is valid)."""
    if not result.valid:
        n = len(result.errors)
        listed = "; ".join(e.message for e in result.errors)
        raise ExportError(f"the graph has {n} error{'s' if n != 1 else ''}: {listed}",
                          result.errors)


def refusal(graph: Graph) -> str | None:
    """Why ``graph`` cannot be built, run or exported (``"<id>: <why>"`` per node whose
    kind refuses, ``kind.refusal``: an Opaque operation has no module), or None."""
    found = [f"{nid}: {why}" for nid, node in graph.nodes.items()
             if (why := node.kind.refusal(node.normalised))]
    return "; ".join(found) or None


def returns_indices(graph: Graph, node_id: str) -> bool:
    """Whether the node's module also returns pooling indices.

    True when its kind makes them (``kind.makes_indices``) and an edge takes
    them to a slot whose role is ``"indices"`` (``kind.slot_role(port)``).
    """
    if not graph.nodes[node_id].kind.makes_indices:
        return False
    return any(graph.nodes[e.dst].kind.slot_role(e.port) == INDICES
               for e in graph.successors(node_id))


def export_code(graph: Graph, class_name: str | None = None) -> str:
    """Standalone PyTorch source for ``graph``.

    Parameters
    ----------
    graph : Graph
        A valid graph.
    class_name : str, optional
        Name of the model class; default from the graph name
        (:func:`class_name_for`), else ``Net``.

    Returns
    -------
    str
        The module source (ends with a newline).

    Raises
    ------
    ExportError
        The graph has analysis errors (all listed in one line) or a node without
        a module (:func:`refusal`), a node id cannot be a Python name, or
        ``class_name`` is not a usable identifier.
    """
    an = Analyzer(graph)
    try:
        result = an.result()
        refuse_errors(result)
        why = refusal(graph)
        if why:
            raise ExportError(why)
        order = graph.topo_order()
        outcomes = {nid: an.outcome(nid) for nid in order}
    finally:
        an.close()
    for nid in order:
        _check_id(nid)
    cls_name = (check_class_name(class_name) if class_name
                else class_name_for(graph.name))

    node_order = list(graph.nodes)
    input_ids = [n for n in node_order if graph.nodes[n].type == "Input"]
    output_ids = [n for n in node_order if not graph.successors(n)]
    used_names = set(graph.nodes)

    # __init__: one submodule per node, in topological order
    init: list[str] = []
    needed: set[str] = set()
    pairs: set[str] = set()
    for nid in order:
        node = graph.nodes[nid]
        kind = node.kind
        if not kind.has_module:
            continue
        o = outcomes[nid]
        pair = returns_indices(graph, nid)
        ctor = kind.ctor(o.params, o.ins, o.shape, feeds_unpool=pair)
        if ctor is None:
            continue
        if pair:
            pairs.add(nid)
        if ctor.cls.startswith("nn."):
            cls = ctor.cls
            if not WORD_RE.match(cls[3:]):
                raise ExportError(f"internal: bad class name {cls!r}")
        else:
            lib = _library()
            if ctor.cls not in lib or not lib[ctor.cls].is_class:
                raise ExportError(f"internal: {ctor.cls} is not a class of engine.nnlib")
            cls = ctor.cls
            needed.add(cls)
        args = [_literal(a) for a in ctor.args]
        for k, v in ctor.kwargs:
            if not WORD_RE.match(k):
                raise ExportError(f"internal: bad keyword {k!r}")
            args.append(f"{k}={_literal(v)}")
        init += assign(f"self.{nid}", f"{cls}({', '.join(args)})", 8)

    # forward: node ids as variables
    indices: dict[str, str] = {}
    for nid in sorted(pairs):
        name = f"{nid}_indices"
        while name in used_names:
            name += "_"
        used_names.add(name)
        indices[nid] = name
    fwd: list[str] = []
    reads = {nid: _reads(graph, nid, indices) for nid in order}
    frees = _last_reads(order, reads, set(input_ids) | set(output_ids))
    if frees:
        fwd.append("        # each intermediate is deleted after its last use (frees its memory)")
    for nid in order:
        node = graph.nodes[nid]
        if node.type == "Input":
            continue
        o = outcomes[nid]
        args = reads[nid]
        expr = node.kind.call_code(nid, args, o.params, o.ins, o.shape)
        _check_expr(expr, nid)
        comment = f"# {_shape(o.shape)}"
        if nid in pairs:
            target = f"{nid}, {indices[nid]}"
            line = f"        {target} = {expr}  {comment} and indices"
            if len(line) <= LINE:
                fwd.append(line)
            else:
                fwd += assign(nid, expr, 8, f"{comment} and indices (a pair)")
                fwd += assign(indices[nid], f"{nid}[1]", 8)
                fwd += assign(nid, f"{nid}[0]", 8)
        else:
            fwd += assign(nid, expr, 8, comment)
        if frees.get(nid):
            fwd += _del_lines(frees[nid])

    # signature and return
    one = len(output_ids) == 1
    ret_type = "torch.Tensor" if one else "tuple[torch.Tensor, ...]"
    params = ", ".join(f"{i}: torch.Tensor" for i in input_ids)
    sig = f"    def forward(self, {params}) -> {ret_type}:"
    if len(sig) > LINE:
        sig_lines = ["    def forward(", "        self,"]
        sig_lines += [f"        {i}: torch.Tensor," for i in input_ids]
        sig_lines.append(f"    ) -> {ret_type}:")
    else:
        sig_lines = [sig]
    ret_expr = output_ids[0] if one else ", ".join(output_ids)
    ret_line = f"        return {ret_expr}"
    if len(ret_line) <= LINE:
        ret_lines = [ret_line]
    else:
        ret_lines = lay(ast.parse(f"({ret_expr},)", mode="eval").body, 8, "return ")

    # docstring
    doc = [f'    """ConvCanvas graph {cls_name}.', "", "    Inputs (batch first):"]
    doc += [f"        {i}: {_shape(outcomes[i].shape)}" for i in input_ids]
    doc += ["", "    Outputs" + (" (a tuple in this order):" if not one else ":")]
    doc += [f"        {i}: {_shape(outcomes[i].shape)}" for i in output_ids]
    doc += ['    """']

    body = "\n".join([
        *doc, "",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        *sig_lines,
        *fwd,
        *ret_lines,
    ])
    main = f"class {cls_name}(nn.Module):\n{body}\n"

    defs = _closure(needed)
    code_names = {"torch", "nn"}
    for d in defs:
        code_names |= d.imports
    if re.search(r"\bF\.", body):
        code_names.add("F")
    if re.search(r"\bmath\.", body):
        code_names.add("math")
    std = [IMPORTS[n] for n in ("math", "time") if n in code_names]
    third = [IMPORTS[n] for n in ("torch", "F", "nn") if n in code_names]
    header = [
        '"""PyTorch model exported by ConvCanvas.',
        "",
        f"Class: ``{cls_name}`` (needs only torch).",
        "Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with",
        '``model.load_state_dict(torch.load("W.pt", weights_only=True))``.',
        '"""',
        "",
    ]
    imports = (std + [""] if std else []) + third
    parts = ["\n".join(header + imports)]
    parts += [d.source for d in defs]
    parts.append(main.rstrip("\n"))
    code = "\n\n\n".join(parts) + "\n"
    _verify(code, cls_name)
    return code


def _reads(graph: Graph, nid: str, indices: dict[str, str]) -> list[str]:
    """The variables a node's forward line reads, in slot order."""
    node = graph.nodes[nid]
    ports = graph.inputs_of(nid)
    return [indices[src] if node.kind.slot_role(port) == INDICES else src
            for port, src in sorted(ports.items())]


def _last_reads(order: list[str], reads: dict[str, list[str]], keep: set[str]
                ) -> dict[str, list[str]]:
    """Per node, the variables it reads last (freed after its line, as the engine
    frees each tensor after its last use), ``keep`` (inputs, outputs) excepted."""
    last: dict[str, str] = {}
    for nid in order:
        for var in reads[nid]:
            last[var] = nid
    frees: dict[str, list[str]] = {}
    for nid in order:
        for var in dict.fromkeys(reads[nid]):
            if last[var] == nid and var not in keep:
                frees.setdefault(nid, []).append(var)
    return frees


def _del_lines(names: list[str]) -> list[str]:
    """``del a, b`` (one line per name group that fits the line length)."""
    lines = ["        del " + names[0]]
    for name in names[1:]:
        if len(lines[-1]) + 2 + len(name) <= LINE:
            lines[-1] += ", " + name
        else:
            lines.append("        del " + name)
    return lines


def _check_expr(expr: str, nid: str) -> None:
    """The forward expression of a node only uses names, numbers and attribute access."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ExportError(f"internal: bad forward expression for {nid}") from None
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and not (
                n.value is None or isinstance(n.value, (bool, int, float))):
            raise ExportError(f"internal: text in the forward expression of {nid}")


def _verify(code: str, cls_name: str) -> None:
    """Last line of defence: the code parses and the class is defined."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise ExportError(f"internal: generated code does not parse: {exc}") from None
    if not any(isinstance(n, ast.ClassDef) and n.name == cls_name for n in tree.body):
        raise ExportError("internal: the model class is missing")


def write_export(code: str, path) -> None:
    """Write ``code`` to ``path`` atomically (:func:`engine.atomic.atomic_write`).

    Raises
    ------
    OSError
        The folder is missing or not writable (the existing file is untouched).
    """
    atomic_write_text(path, code)
