"""Start-up of the desktop designer: ``python main.py [GRAPH] [--screenshot OUT.png [--run]]``.

* ``python main.py`` opens the default example (``classifier_tour``);
* ``python main.py GRAPH`` opens that file (one that cannot be read is
  explained in a dialog and on stderr, and the window starts empty);
* ``--screenshot OUT.png [GRAPH] [--run]`` opens the window (offscreen when
  there is no display), fits the canvas, optionally runs the engine, saves a
  PNG of the whole window and quits: exit 0, or 1 with one line on stderr.
  With ``--run`` it checks that the Maps tab shows a mosaic of feature maps
  before saving; a failed run names its reason (the graph's first errors,
  the engine's message, a time-out). A screenshot is light unless ``--theme``
  says otherwise;
* ``--theme system|light|dark`` sets the colours for this session (the window
  otherwise uses the theme chosen in View → Theme, else the system's).

Start-up never imports torch; the engine panel imports it when it runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

_T0 = time.perf_counter()
SCREENSHOT_SIZE = (1600, 1000)
RUN_TIMEOUT_S = 120


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the designer: ``GRAPH``, ``--screenshot OUT.png``, ``--run``.

    Also takes the hidden ``--startup-probe`` (used by ``bench/startup.py``).
    The headless ``analyze|export|run`` commands are not parsed here
    (``main.py`` sends them to ``engine.cli``).
    """
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="ConvCanvas: a desktop designer for convolutional networks. "
                    "Headless commands: main.py analyze|export|run (see --help of each).")
    parser.add_argument("graph", nargs="?", metavar="GRAPH",
                        help="graph file to open (default: the classifier tour example)")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="save a screenshot of the whole window to OUT.png and quit")
    parser.add_argument("--run", action="store_true",
                        help="with --screenshot: run the engine on the sample image first")
    parser.add_argument("--train-epochs", type=int, metavar="N",
                        help="with --screenshot: train on generated shapes in the Train tab "
                        "and take the picture after N epochs, mid-run")
    parser.add_argument("--theme", choices=("system", "light", "dark"),
                        help="colours for this session (default: the one chosen in "
                             "View → Theme, else the system's)")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the designer; returns the process exit code (never raises)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if (args.run or args.train_epochs) and not args.screenshot:
        return _fail("--run and --train-epochs only work together with --screenshot OUT.png",
                     2)
    if args.screenshot:
        out = Path(args.screenshot)
        if not out.parent.is_dir():
            return _fail(f"{out}: the folder {out.parent} does not exist", 2)
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        return _start(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        return _fail(f"{type(exc).__name__}: {exc}")


def _quiet_offscreen_warning(mode, context, message) -> None:
    """Qt message handler: drop the offscreen platform's harmless notices
    ("This plugin does not support propagateSizeHints()", "... raise()")."""
    if message.startswith("This plugin does not support"):
        return
    print(message, file=sys.stderr)


def release_clipboard() -> None:
    """Drop clipboard data this process owns on the offscreen and minimal platforms.

    Their clipboard frees its QMimeData after the application object is gone and
    the process dies with a segmentation fault at exit (PySide6 6.11, measured
    with a five-line script). Desktop platforms keep the data: there the user's
    copy must survive for other programs.
    """
    from PySide6.QtGui import QClipboard, QGuiApplication

    app = QGuiApplication.instance()
    if app is None or QGuiApplication.platformName() not in ("offscreen", "minimal"):
        return
    board = QGuiApplication.clipboard()
    if board.ownsClipboard() or board.mimeData(QClipboard.Mode.Clipboard) is not None:
        board.clear(QClipboard.Mode.Clipboard)


def _application(theme: str | None = None):
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        qInstallMessageHandler(_quiet_offscreen_warning)
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "convcanvas"])
    app.setApplicationName("ConvCanvas")
    app.setOrganizationName("ConvCanvas")
    app.setApplicationDisplayName("ConvCanvas")
    app.setDesktopFileName("convcanvas")  # resources/desktop/convcanvas.desktop
    from PySide6.QtGui import QIcon

    from designer.files import ROOT

    app.setWindowIcon(QIcon(str(ROOT / "resources" / "desktop" / "convcanvas.svg")))
    app.aboutToQuit.connect(release_clipboard)
    from designer.look import apply_theme, saved_theme

    apply_theme(app, theme or saved_theme())
    return app


def _start(args) -> int:
    if args.screenshot and args.graph:  # fail before any window exists
        from engine import GraphFileError, load_graph

        try:
            load_graph(args.graph)
        except GraphFileError as exc:
            return _fail(str(exc), 2)
    # a screenshot does not depend on the user's settings: light unless --theme says
    app = _application(args.theme or ("light" if args.screenshot else None))
    from designer.window import MainWindow

    if args.screenshot:
        return _screenshot(app, args)
    window = MainWindow(session=not args.startup_probe)
    error = None
    if args.graph:
        error = _open_file(window, Path(args.graph))
    else:
        window.open_example()
    if args.startup_probe:
        return _probe(app, window)
    window.resize(window.sizeHint())
    window.restore_layout()
    window.show()
    window.raise_()
    from PySide6.QtCore import QTimer

    if error is not None:
        path, exc = error
        QTimer.singleShot(0, lambda: window.show_open_error(path, exc))
    else:
        QTimer.singleShot(0, window.offer_recovery)
    # let Ctrl+C in the terminal close the window (the prompt for unsaved work included)
    signal.signal(signal.SIGINT, lambda *_a: window.close())
    tick = QTimer(window)
    tick.timeout.connect(lambda: None)
    tick.start(300)
    return app.exec()


def _open_file(window, path: Path):
    """Open ``path``; on failure print one line and return ``(path, error)``."""
    from engine import GraphFileError, load_graph

    try:
        load_graph(path)
    except GraphFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return path, exc
    window.open_path(path, ask=False)
    return None


def _settle(app, rounds: int = 3) -> None:
    for _ in range(rounds):
        app.processEvents()


def _probe(app, window) -> int:
    """Hidden ``--startup-probe`` (bench/startup.py): show and paint the window,
    print the time since this module was imported; then build the engine panel
    (as the event loop does right after the first paint), print again, quit."""
    window.resize(window.sizeHint())
    window.show()
    window.grab()  # a complete paint of every widget, before any timer can fire
    print(f"shown {time.perf_counter() - _T0:.3f}", flush=True)
    window.ensure_panel()
    _settle(app)
    window.grab()
    torch = "yes" if "torch" in sys.modules else "no"
    print(f"ready {time.perf_counter() - _T0:.3f} torch={torch}", flush=True)
    window.hide()
    return 0


def _screenshot(app, args) -> int:
    from designer.window import MainWindow

    window = MainWindow(session=False)
    if args.graph:
        if not window.open_path(Path(args.graph), ask=False):
            return _fail(f"{args.graph}: cannot open the graph", 2)
    else:
        window.open_example()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.ensure_panel()
    _settle(app)
    window.view.fit(readable=True)  # what a person sees on opening the file
    _settle(app)
    if args.run:
        panel = window.ensure_panel()
        if panel is None:
            return _fail("--run needs the engine panel, which is not available")
        if not panel.run_blocking(timeout_s=RUN_TIMEOUT_S):
            return _fail(f"--run: {panel.run_failure()}")
        shown = getattr(panel, "node_id", None)
        if shown:  # the canvas and the properties show the node of the maps
            window.focus_node(shown)
        _settle(app)
        problem = panel.maps_problem()  # what the picture is for: the feature maps
        if problem:
            return _fail(f"--run: the Maps tab shows no feature maps: {problem}")
    if args.train_epochs:
        from PySide6.QtCore import Qt

        panel = window.ensure_panel()
        panel.tabs.setCurrentWidget(panel.train_tab)  # room for the tab: a large panel
        window.resizeDocks([window.properties_dock, window.panel_dock], [1, 4 * window.height()],
                           Qt.Orientation.Vertical)
        window.resizeDocks([window.panel_dock], [window.width() * 3 // 5],
                           Qt.Orientation.Horizontal)
        problem = panel.train_tab.train_for_screenshot(args.train_epochs)
        if problem:
            return _fail(f"--train-epochs: {problem}")
        _settle(app)
    pixmap = window.grab()
    if pixmap.isNull() or not pixmap.save(str(args.screenshot)):
        return _fail(f"{args.screenshot}: cannot write the PNG")
    window.hide()
    window.deleteLater()
    _settle(app, 1)
    return 0
