"""Python source laid out within :data:`LINE` columns (the exporter's code layout).

:func:`assign` writes ``target = expr  # comment`` and, when it does not fit,
breaks the expression the way a person would (:func:`lay`): call arguments on
an indented line or filled lines, one list item per line, a sum or product one
term per line. The exported code thus passes ``ruff check`` with the project's
100-column limit.
"""

from __future__ import annotations

import ast
import re

__all__ = ["LINE", "lay", "assign"]

LINE = 100


def _binop_chain(node: ast.BinOp) -> tuple[str, list[ast.expr]] | None:
    sym = {ast.Add: "+", ast.Mult: "*"}.get(type(node.op))
    if sym is None:
        return None
    items: list[ast.expr] = []
    cur: ast.expr = node
    while isinstance(cur, ast.BinOp) and type(cur.op) is type(node.op):
        items.append(cur.right)
        cur = cur.left
    items.append(cur)
    return sym, items[::-1]


def _src(node: ast.expr) -> str:
    """``ast.unparse`` with the project's double quotes (strings are plain words)."""
    return re.sub(r"'([A-Za-z_][A-Za-z0-9_]*)'", r'"\1"', ast.unparse(node))


def lay(node: ast.expr, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """Lines of ``prefix + node + suffix`` at ``indent``, broken to fit ``LINE`` columns."""
    pad = " " * indent
    flat = prefix + _src(node) + suffix
    if indent + len(flat) <= LINE:
        return [pad + flat]
    if isinstance(node, ast.Call):
        head = prefix + _src(node.func) + "("
        if indent + len(head) > LINE and prefix:
            return [pad + prefix + "("] + lay(node, indent + 4) + [pad + ")" + suffix]
        items = [_src(a) for a in node.args]
        items += [f"{k.arg}={_src(k.value)}" for k in node.keywords]
        hug = " " * (indent + 4) + ", ".join(items)
        if len(hug) <= LINE:  # all arguments on one indented line
            return [pad + head, hug, pad + ")" + suffix]
        inner = " " * (indent + 4)
        if all(len(inner) + len(it) + 1 <= LINE for it in items):  # fill lines
            rows = [inner + items[0]]
            for it in items[1:]:
                if len(rows[-1]) + 2 + len(it) + 1 <= LINE:
                    rows[-1] += ", " + it
                else:
                    rows[-1] += ","
                    rows.append(inner + it)
            return [pad + head, *rows, pad + ")" + suffix]
        lines = [pad + head]
        for a in node.args:
            lines += lay(a, indent + 4, "", ",")
        for k in node.keywords:
            lines += lay(k.value, indent + 4, f"{k.arg}=", ",")
        return lines + [pad + ")" + suffix]
    if isinstance(node, (ast.List, ast.Tuple)):
        o, c = ("[", "]") if isinstance(node, ast.List) else ("(", ")")
        lines = [pad + prefix + o]
        for e in node.elts:
            lines += lay(e, indent + 4, "", ",")
        return lines + [pad + c + suffix]
    if isinstance(node, ast.BinOp) and (chain := _binop_chain(node)):
        sym, items = chain
        lines = [pad + prefix + "("]
        lines += lay(items[0], indent + 4)
        for it in items[1:]:
            lines += lay(it, indent + 4, f"{sym} ")
        return lines + [pad + ")" + suffix]
    if prefix:
        return [pad + prefix + "("] + lay(node, indent + 4) + [pad + ")" + suffix]
    return [pad + flat]


def assign(target: str, expr: str, indent: int, comment: str = "") -> list[str]:
    """``target = expr  # comment``, wrapped when needed (comment on its own line then)."""
    line = f"{' ' * indent}{target} = {expr}"
    if comment and len(line) + 2 + len(comment) <= LINE:
        return [f"{line}  {comment}"]
    if not comment and len(line) <= LINE:
        return [line]
    node = ast.parse(expr, mode="eval").body
    lines = lay(node, indent, f"{target} = ")
    return ([f"{' ' * indent}{comment}"] if comment else []) + lines
