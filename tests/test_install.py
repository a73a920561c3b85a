"""``pip install .`` gives a ``convcanvas`` command (issue 15): installed offline into a
fresh virtual environment that sees the project's packages (torch, PySide6, setuptools)
through its site-packages, it analyses an example from another folder, with the
packages and ``resources/`` from the installation; ``--install-desktop`` writes the
desktop entry, MIME type and icon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "hdc_dilated_stack.convgraph.json"


def _run(args, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(kw.pop("env", {}))
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=120, env=env, **kw)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # a copy: the build writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", ".ruff_cache", "tests", "bench", "out"))
    env = tmp / "venv"
    proc = _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", env])
    assert proc.returncode == 0, proc.stderr
    site = Path(_run([env / "bin" / "python", "-c",
                      "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                     ).stdout.strip())
    # the project environment's packages (setuptools, pip, torch, PySide6), as a
    # --system-site-packages venv made from it would see them; no network
    (site / "project_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    have = _run([env / "bin" / "python", "-c", "import setuptools, pip"])
    assert have.returncode == 0, "setuptools and pip must be installed: " + have.stderr
    proc = _run([env / "bin" / "python", "-m", "pip", "install", "--no-deps",
                 "--no-build-isolation", "--no-index", "-q", src], cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp, env, site


def test_the_installed_command_analyses_an_example(venv):
    tmp, env, site = venv
    proc = _run([env / "bin" / "convcanvas", "analyze", ROOT / "resources" / "examples" /
                 EXAMPLE], cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert "HDC dilated stack: 19 nodes, valid" in proc.stdout
    where = _run([env / "bin" / "python", "-c", "import engine, designer, convcanvas; "
                  "print(engine.__file__, designer.__file__)"], cwd=tmp)
    assert all(Path(p).is_relative_to(site) for p in where.stdout.split()), where.stdout
    # the installation carries its data: examples, sample image, the desktop files
    assert (site / "resources" / "examples" / EXAMPLE).is_file()
    assert (site / "resources" / "images" / "scene.png").is_file()
    for sub in ("applications/convcanvas.desktop", "mime/packages/convcanvas.xml",
                "icons/hicolor/scalable/apps/convcanvas.svg"):
        assert (env / "share" / sub).is_file(), sub
    helped = _run([env / "bin" / "convcanvas", "export", "--help"], cwd=tmp)
    assert helped.returncode == 0 and "examples:" in helped.stdout


def test_install_desktop_writes_entry_mime_type_and_icon(venv):
    tmp, env, _site = venv
    home = tmp / "xdg"
    proc = _run([env / "bin" / "convcanvas", "--install-desktop"], cwd=tmp,
                env={"XDG_DATA_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    entry = (home / "applications" / "convcanvas.desktop").read_text()
    assert f"Exec={env / 'bin' / 'convcanvas'} %f" in entry
    assert "MimeType=application/x-convcanvas-graph;" in entry and "Icon=convcanvas" in entry
    mime = (home / "mime" / "packages" / "convcanvas.xml").read_text()
    assert 'glob pattern="*.convgraph.json"' in mime
    assert (home / "icons" / "hicolor" / "scalable" / "apps" / "convcanvas.svg").is_file()
    proc = _run([env / "bin" / "convcanvas", "--uninstall-desktop"], cwd=tmp,
                env={"XDG_DATA_HOME": str(home)})
    assert proc.returncode == 0 and not (home / "applications" / "convcanvas.desktop").exists()
