"""File-level helpers of the window: settings, recent files, examples, recovery.

Nothing here shows a widget; :class:`~designer.window.MainWindow` decides what
to ask the user. Settings live in an INI file under the platform's
configuration folder and the recovery file under the application data folder
(both from ``QStandardPaths``, so tests can redirect them with
``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME`` or Qt's test mode).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QSettings, QStandardPaths

__all__ = ["EXAMPLES_DIR", "DEFAULT_EXAMPLE", "GRAPH_SUFFIX", "FILE_FILTER", "Example",
           "examples", "settings", "RecentFiles", "Recovery", "is_graph_file", "fingerprint"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "resources" / "examples"
DEFAULT_EXAMPLE = EXAMPLES_DIR / "classifier_tour.convgraph.json"
GRAPH_SUFFIX = ".convgraph.json"
FILE_FILTER = "ConvCanvas graphs (*.convgraph.json);;JSON files (*.json);;All files (*)"


def is_graph_file(path: str | Path) -> bool:
    """Whether a dropped/opened file looks like a graph (``*.convgraph.json`` or ``*.json``)."""
    return str(path).lower().endswith(".json")


def fingerprint(path: str | Path) -> str | None:
    """The SHA-256 of a file's bytes (hex), or None when it cannot be read.

    Saving compares it with the one of the file as it was opened or last saved
    (``Document.fingerprint``): a difference means another program or window wrote it.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def settings() -> QSettings:
    """The application settings (an INI file in the configuration folder)."""
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppConfigLocation)
    return QSettings(str(Path(folder) / "convcanvas.ini"), QSettings.Format.IniFormat)


@dataclass(frozen=True)
class Example:
    """A bundled example graph: its file and the ``name`` it declares."""

    path: Path
    name: str
    description: str


def examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """The bundled examples, the default one first, then by name.

    Reads only the ``name`` and ``description`` of each file (plain JSON); a
    file that cannot be parsed is listed by its file name.
    """
    out = []
    for path in sorted(folder.glob(f"*{GRAPH_SUFFIX}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            name = str(data.get("name") or path.name)
            desc = str(data.get("description") or "")
        except (OSError, ValueError, AttributeError):
            name, desc = path.name, ""
        out.append(Example(path, name, desc))
    out.sort(key=lambda e: (e.path != DEFAULT_EXAMPLE, e.name.lower()))
    return out


class RecentFiles:
    """Most-recently-used graph files, stored in :func:`settings`.

    Parameters
    ----------
    limit : int
        How many paths are kept.
    """

    KEY = "recentFiles"

    def __init__(self, limit: int = 10):
        self.limit = limit

    def paths(self) -> list[Path]:
        """Existing recent files, most recent first."""
        raw = settings().value(self.KEY, [])
        if isinstance(raw, str):
            raw = [raw]
        return [Path(p) for p in (raw or []) if p and Path(p).is_file()]

    def add(self, path: Path) -> None:
        """Put ``path`` first (removing older entries of the same file)."""
        path = Path(path).resolve()
        items = [str(path)] + [str(p) for p in self.paths() if p.resolve() != path]
        settings().setValue(self.KEY, items[: self.limit])

    def clear(self) -> None:
        """Forget every recent file."""
        settings().setValue(self.KEY, [])


class Recovery:
    """The autosave file of unsaved work and the clean-exit bookkeeping.

    The window writes :attr:`path` about a second after each edit while the
    document is dirty and deletes it after a clean save or exit.
    :meth:`pending` tells at start-up whether a recovery file newer than the
    last clean exit exists (the previous session crashed or was killed).

    Only one running instance owns the recovery file (:meth:`acquire`, a lock
    file that a crashed process leaves stale), so that a second window
    neither overwrites the first one's unsaved work nor offers to restore it.
    """

    FILE = "recovery.convgraph.json"

    def __init__(self):
        self._lock: QLockFile | None = None

    def acquire(self) -> bool:
        """Try to own the recovery file for this process; True on success."""
        if self._lock is not None and self._lock.isLocked():
            return True
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        lock = QLockFile(str(folder / "recovery.lock"))
        lock.setStaleLockTime(0)  # only a dead owner process makes it stale
        if not lock.tryLock(0):
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        """Give up the ownership (at exit; a crash leaves a stale lock)."""
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    @property
    def owned(self) -> bool:
        """Whether this process holds the recovery lock (:meth:`acquire`)."""
        return self._lock is not None and self._lock.isLocked()

    @property
    def path(self) -> Path:
        """The recovery file, in the application data folder (it may not exist)."""
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.AppDataLocation)
        return Path(folder) / self.FILE

    def write(self, graph, source: Path | None, source_print: str | None = None) -> Path:
        """Save ``graph`` to the recovery file; remember the file it belongs to.

        The JSON is written with ASCII escapes (read back by ``engine.load_graph``
        like any graph file), so a text that UTF-8 cannot encode, such as a lone
        surrogate, is kept rather than refused. ``source_print`` is the
        :func:`fingerprint` of ``source`` as the document last read or wrote it.

        Raises ``engine.GraphFileError`` when the folder is not writable.
        """
        from engine import GraphFileError
        from engine.atomic import atomic_write_text

        target = self.path
        text = json.dumps(graph.to_dict(), ensure_ascii=True, indent=1) + "\n"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, text)
        except OSError as exc:
            raise GraphFileError(f"cannot write: {exc.strerror or exc}", str(target)) from None
        s = settings()
        s.setValue("recovery/source", str(source) if source else "")
        s.setValue("recovery/fingerprint", source_print or "")
        s.setValue("recovery/written", time.time())
        return target

    def source(self) -> Path | None:
        """The file the recovered work was last saved to, if any."""
        raw = settings().value("recovery/source", "")
        return Path(raw) if raw else None

    def source_fingerprint(self) -> str | None:
        """The :func:`fingerprint` the source file had when the work was autosaved."""
        return settings().value("recovery/fingerprint", "") or None

    def clean_stale(self) -> list[Path]:
        """Delete what a crash left in the recovery folder (call while :attr:`owned`).

        That is the temporary files of an interrupted atomic write
        (``.recovery.convgraph.json.*.tmp``) and a recovery file older than the
        last clean exit (not :meth:`pending`). Returns the deleted files.
        """
        if not self.owned:
            return []
        gone = []
        folder = self.path.parent
        stale = list(folder.glob(f".{self.FILE}.*.tmp"))
        if self.path.exists() and self.pending() is None:
            stale.append(self.path)
        for path in stale:
            try:
                path.unlink()
                gone.append(path)
            except OSError:
                pass
        return gone

    def discard(self) -> None:
        """Delete the recovery file (after a clean save or exit)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass

    def mark_clean_exit(self) -> None:
        """Record a clean exit (a recovery file older than this is stale)."""
        settings().setValue("session/cleanExit", time.time())

    def pending(self) -> Path | None:
        """The recovery file, if it is newer than the last clean exit."""
        path = self.path
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        try:
            clean = float(settings().value("session/cleanExit", 0) or 0)
        except (TypeError, ValueError):
            clean = 0.0
        return path if mtime > clean else None
