"""Write a training script for an exported model (``export ... --train-script train.py``).

Torch-free (import-linter): it writes text. The script is made of verbatim
copies of the engine's own training modules (:mod:`engine.training.tasks`,
``shapes``, ``folder``, ``data``, ``core`` and ``script``), read as text with
:mod:`ast` (never imported), their imports gathered at the top, and a last
block that names the model: the exported file (a path relative to the script,
a validated class name) and the Input's size (numbers). So it trains on the
same data with the same loop as ``main.py train``, and runs unchanged under
``torchrun`` (see :mod:`engine.training.script`). It needs torch and numpy,
and Pillow for a folder of images.
"""

from __future__ import annotations

import ast
import os
import sys
from functools import lru_cache
from pathlib import Path

from .analysis import Analyzer
from .atomic import atomic_write_text
from .export import ExportError, check_class_name, class_name_for, refuse_errors
from .graph import Graph
from .training.model_task import graph_task

__all__ = ["training_script", "write_training_script", "COPIED"]

HERE = Path(__file__).resolve().parent / "training"
#: the modules copied into the script, in order (each uses only those before it)
COPIED = ("tasks", "shapes", "folder", "data", "core", "script")


@lru_cache(maxsize=1)
def _sources() -> tuple[list[str], list[str]]:
    """``(import lines, module bodies)`` of :data:`COPIED`."""
    imports: list[str] = []
    bodies: list[str] = []
    for name in COPIED:
        text = (HERE / f"{name}.py").read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = text.splitlines()
        start = None
        for node in tree.body:
            is_import = isinstance(node, (ast.Import, ast.ImportFrom))
            if start is not None:
                if is_import:
                    raise ExportError(f"internal: engine/training/{name}.py: an import "
                                      "after the code starts")
                continue
            if is_import:
                if not (isinstance(node, ast.ImportFrom)
                        and (node.level or node.module == "__future__")):
                    imports.append(ast.get_source_segment(text, node))
            elif not (_is_docstring(node) or _is_all(node)):
                start = min([node.lineno] + [d.lineno for d in
                                             getattr(node, "decorator_list", [])])
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and node.lineno >= start:
                raise ExportError(f"internal: engine/training/{name}.py imports the engine "
                                  "inside its code")
        bodies.append(f"# ---- engine/training/{name}.py " + "-" * (60 - len(name)) + "\n\n"
                      + "\n".join(lines[start - 1:]).strip() + "\n")
    return _sorted_imports(imports), bodies


def _is_docstring(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_all(node) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)


def _sorted_imports(statements: list[str]) -> list[str]:
    """Standard library first, then the others, each as isort (ruff's ``I``) orders them."""
    std = set(sys.stdlib_module_names)

    def top(s):
        return s.split()[1].split(".")[0]

    def key(s):
        return (s.startswith("from "), s.split()[1].lower())
    uniq = sorted(set(statements), key=key)
    groups = [[s for s in uniq if top(s) in std], [s for s in uniq if top(s) not in std]]
    out: list[str] = []
    for g in groups:
        if g:
            out += [*g, ""]
    return out[:-1]


def training_script(graph: Graph, model_path, script_path, class_name: str | None = None) -> str:
    """The source of the training script for ``graph`` exported to ``model_path``.

    Parameters
    ----------
    graph : Graph
        A valid graph whose output fits a task (:func:`engine.training.tasks.task_from_shape`).
    model_path, script_path : path
        Where the model and the script are written: the script finds the model
        by the relative path between them (``--model`` overrides it).
    class_name : str, optional
        The exported class (default as :func:`engine.export.export_code` names it).

    Raises
    ------
    ExportError
        Graph errors or an unusable class name.
    engine.training.TaskError
        The graph is not one Input and one output that fits a task.
    """
    an = Analyzer(graph)
    try:
        result = an.result()
        refuse_errors(result)
        task, k, _, _, (c, h, w) = graph_task(graph, result)
    finally:
        an.close()
    cls = check_class_name(class_name) if class_name else class_name_for(graph.name)
    rel = os.path.relpath(os.path.abspath(model_path),
                          os.path.dirname(os.path.abspath(script_path)))
    imports, bodies = _sources()
    what = "per-pixel classification" if task == "segment" else "classification"
    header = [
        '"""Training script exported by ConvCanvas.',
        "",
        f"Model: class ``{cls}`` ({what} into {k} classes).",
        "",
        "One process:        python train.py --data shapes --epochs 5 --save-weights W.pt",
        "Several processes:  torchrun --nproc-per-node 2 train.py --data DIR --epochs 5",
        "Several machines:   torchrun --nnodes 2 --node-rank R --master-addr HOST",
        "                             --nproc-per-node G train.py ...   (on each machine)",
        "",
        "--data takes shapes, shapes-seg (generated, no download) or a folder with one",
        "sub-folder of images per class. DistributedDataParallel with gloo on CPUs and nccl",
        "on GPUs; --batch counts the samples of one step over all processes. The weights",
        "load with strict=True into the exported class and into ConvCanvas (run --weights).",
        "Needs torch and numpy (Pillow for a folder). `python train.py --help` for the rest.",
        '"""',
        "",
    ]
    tail = [
        "# ---- the exported model " + "-" * 68,
        "",
        f"MODEL_FILE = {rel!r}  # relative to this script",
        f"MODEL_CLASS = {cls!r}",
        f"INPUT_SHAPE = ({int(c)}, {int(h)}, {int(w)})  # C, H, W of the Input",
        "",
        'if __name__ == "__main__":',
        "    leave(main(model_file=os.path.join(os.path.dirname(os.path.abspath(__file__)),",
        "                                       MODEL_FILE),",
        "               model_class=MODEL_CLASS, input_shape=INPUT_SHAPE))",
    ]
    code = "\n".join(header + imports) + "\n\n"  # one blank line after the imports
    return code + "\n\n".join(p.rstrip("\n") + "\n" for p in [*bodies, "\n".join(tail)])


def write_training_script(text: str, path) -> None:
    """Write the script atomically (:func:`engine.atomic.atomic_write_text`)."""
    atomic_write_text(path, text)
