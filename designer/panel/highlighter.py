"""Syntax colouring of Python source for the Code tab.

Single-line rules (keywords, builtins, ``self``, numbers, decorators,
definitions, comments, strings) plus a block state for triple-quoted strings,
which span lines in the exported module's docstrings.
"""

from __future__ import annotations

import keyword

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QColor, QFont, QPalette, QSyntaxHighlighter, QTextCharFormat

from designer.look import CODE_DARK, CODE_LIGHT

__all__ = ["PythonHighlighter"]

_BUILTINS = ("print", "len", "range", "int", "float", "tuple", "list", "dict", "super",
             "isinstance", "zip", "enumerate", "min", "max", "sum", "abs", "round",
             "True", "False", "None")


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class PythonHighlighter(QSyntaxHighlighter):
    """Colours Python code in a QTextDocument (light or dark palette).

    Parameters
    ----------
    document : QTextDocument
        The document to colour.
    dark : bool, optional
        Use colours for a dark background; default: decided from the palette.
    """

    _IN_TRIPLE_DQ = 1
    _IN_TRIPLE_SQ = 2

    def __init__(self, document, dark: bool | None = None):
        super().__init__(document)
        if dark is None:
            dark = QPalette().color(QPalette.ColorRole.Base).lightness() < 128
        c = CODE_DARK if dark else CODE_LIGHT
        self.formats = {
            "keyword": _fmt(c["keyword"], bold=True), "builtin": _fmt(c["builtin"]),
            "self": _fmt(c["self"], italic=True), "number": _fmt(c["number"]),
            "decorator": _fmt(c["decorator"]), "definition": _fmt(c["definition"], bold=True),
            "string": _fmt(c["string"]), "comment": _fmt(c["comment"], italic=True),
        }
        kws = "|".join(k for k in keyword.kwlist if k not in ("True", "False", "None"))
        self._rules = [
            (QRegularExpression(rf"\b(?:{kws})\b"), "keyword"),
            (QRegularExpression(rf"\b(?:{'|'.join(_BUILTINS)})\b"), "builtin"),
            (QRegularExpression(r"\bself\b"), "self"),
            (QRegularExpression(
                r"\b(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?j?)\b"),
             "number"),
            (QRegularExpression(r"^\s*@[\w.]+"), "decorator"),
            (QRegularExpression(r"\b(?:def|class)\s+(\w+)"), "definition"),
        ]
        # strings and comments are scanned left to right so that '#' in a string
        # and quotes in a comment are not mistaken
        self._token = QRegularExpression(
            r"(?P<comment>#.*)|(?P<string>[rRbBfFuU]{0,2}(?:'(?:[^'\\]|\\.)*'?"
            r"|\"(?:[^\"\\]|\\.)*\"?))")
        self._triple = {self._IN_TRIPLE_DQ: QRegularExpression('"""'),
                        self._IN_TRIPLE_SQ: QRegularExpression("'''")}
        self._triple_start = QRegularExpression(r"[rRbBuU]?(\"\"\"|''')")

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Colour one line of ``text`` (called by Qt)."""
        for rx, name in self._rules:
            it = rx.globalMatch(text)
            while it.hasNext():
                m = it.next()
                group = 1 if name == "definition" else 0
                self.setFormat(m.capturedStart(group), m.capturedLength(group),
                               self.formats[name])
        self.setCurrentBlockState(0)
        start = 0
        state = self.previousBlockState()
        if state in self._triple:
            start = self._close_triple(text, 0, state)
            if start < 0:
                return
        self._strings_and_comments(text, start)

    def _close_triple(self, text: str, start: int, state: int) -> int:
        """Colour up to the closing quotes of a triple string; -1 if still open."""
        m = self._triple[state].match(text, start)
        if not m.hasMatch():
            self.setFormat(start, len(text) - start, self.formats["string"])
            self.setCurrentBlockState(state)
            return -1
        end = m.capturedEnd()
        self.setFormat(start, end - start, self.formats["string"])
        return end

    def _strings_and_comments(self, text: str, pos: int) -> None:
        while pos < len(text):
            triple = self._triple_start.match(text, pos)
            token = self._token.match(text, pos)
            t_at = triple.capturedStart() if triple.hasMatch() else len(text)
            k_at = token.capturedStart() if token.hasMatch() else len(text)
            if t_at >= len(text) and k_at >= len(text):
                return
            if t_at <= k_at:
                quote = triple.captured(1)
                state = self._IN_TRIPLE_DQ if quote == '"""' else self._IN_TRIPLE_SQ
                self.setFormat(t_at, triple.capturedLength(), self.formats["string"])
                pos = self._close_triple(text, triple.capturedEnd(), state)
                if pos < 0:
                    return
                continue
            name = "comment" if token.capturedLength("comment") else "string"
            self.setFormat(k_at, token.capturedLength(), self.formats[name])
            pos = token.capturedEnd()
            if name == "comment":
                return
