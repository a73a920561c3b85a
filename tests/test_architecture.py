"""Layering rules (docs/architecture.md): import-linter contracts, and a torch-free,
Qt-free ``import engine`` (issue 2)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
FORBIDDEN = ("torch", "PySide6", "pyqtgraph", "shiboken6")


def lint(*args):
    return subprocess.run([str(LINT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_import_contracts_are_kept():
    proc = lint("--config", "pyproject.toml", "--no-cache")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", out)
    assert kept, out
    assert int(kept.group(1)) >= 3 and int(kept.group(2)) == 0, out


def test_the_linter_does_see_torch_imports(tmp_path):
    # canary: a contract that must be broken (engine.nnlib is torch code), so that a
    # linter that analyses nothing cannot pass the test above
    config = tmp_path / "canary.ini"
    config.write_text("[importlinter]\nroot_package = engine\ninclude_external_packages = True"
                      "\n\n[importlinter:contract:canary]\nname = canary\ntype = forbidden\n"
                      "source_modules = engine.nnlib\nforbidden_modules = torch\n")
    proc = lint("--config", str(config), "--no-cache")
    assert proc.returncode != 0
    assert "canary BROKEN" in proc.stdout


def loaded_after(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


def test_import_engine_loads_neither_torch_nor_qt():
    top = loaded_after("import engine")
    assert "engine" in top
    assert not [m for m in top if m in FORBIDDEN]


def test_torch_free_engine_modules():
    top = loaded_after("import engine.analysis, engine.graph, engine.catalogue, engine.io, "
                       "engine.cli")
    assert not [m for m in top if m in FORBIDDEN]


def test_the_probe_sees_torch_when_it_is_imported():
    # the same probe does report torch when something imports it
    assert "torch" in loaded_after("import torch")


# -- the shape of the code (architecture issue) ------------------------------------------------
def _python_files() -> list[Path]:
    skip = {".venv", ".git", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache"}
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        if not skip.intersection(path.relative_to(ROOT).parts):
            out.append(path)
    return out


def test_no_python_file_is_over_500_lines():
    files = _python_files()
    assert len(files) > 100
    long = [f"{p.relative_to(ROOT)}: {n}" for p in files
            if (n := p.read_text(encoding="utf-8").count("\n")) > 500]
    assert not long


def test_only_the_catalogue_names_a_layer_type():
    """Outside engine/catalogue/, no code names a layer type except Input (tests, docs and
    the benchmarks' graph builders, which are data, aside)."""
    from engine.catalogue import CATALOGUE

    names = set(CATALOGUE) - {"Input"}
    found = []
    for path in _python_files():
        rel = path.relative_to(ROOT)
        # the importer asks engine/catalogue/interchange.py which type an operation is
        if rel.parts[0] not in ("engine", "designer", "main.py") or "catalogue" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found


def test_every_engine_and_designer_module_says_what_it_owns():
    missing = [str(p.relative_to(ROOT)) for p in _python_files()
               if p.relative_to(ROOT).parts[0] in ("engine", "designer")
               and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing
