"""Generate the layer reference (docs/layers.md) from the catalogue schema.

Run: ``python -m engine.docs > docs/layers.md``. A test checks that the file
is up to date, so the reference can never drift from the code.
"""

from __future__ import annotations

import json

from .catalogue import CATALOGUE, FAMILIES, PRESETS


def _default(p) -> str:
    v = p.default
    if p.required:
        shown = "[" + ", ".join(map(str, v)) + "]" if isinstance(v, tuple) else v
        return f"required (palette: {shown})"
    if v is None:
        return "none"
    if isinstance(v, tuple):
        if len(v) > 1 and len(set(v)) == 1:
            return str(v[0])
        return "[" + ", ".join(map(str, v)) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return f"{v:g}" if isinstance(v, float) else str(v)


def _accepts(p) -> str:
    hint = p.hint()
    kind = p.kind
    lengths = getattr(p, "lengths", None)  # a list of one of several lengths
    if kind == "tuple" and lengths:
        text = f"int or list of {' or '.join(map(str, lengths))}, each {hint}"
    elif kind == "tuple":
        text = f"int or list of {p.n}, each {hint}"
    elif kind == "padding":
        text = f'int or list of {p.n}, each {hint}; or "same" / "valid"'
    else:
        text = hint
    return text + (", or null" if p.nullable else "")


def render() -> str:
    """The layer reference (docs/layers.md) as Markdown text.

    Per palette family, every kind with its description and parameter table, then
    the family's presets (those other than a kind's plain palette item).
    """
    lines = ["# Layer reference", "",
             "Generated from the layer catalogue (`python -m engine.docs`); the property "
             "editor is generated from the same schema. `in_channels`, `num_features` and "
             "`in_features` are never set: they come from the incoming edge.", ""]
    for family in FAMILIES:
        kinds = [k for k in CATALOGUE.values() if k.family == family]
        if not kinds:
            continue
        lines += [f"## {family}", ""]
        for k in kinds:
            lines += [f"### {k.type}", "", k.doc, ""]
            if k.max_inputs > 1:
                slots = ", ".join(k.slots) if k.slots else f"{k.min_inputs} to {k.max_inputs}"
                lines += [f"Inputs: {slots}.", ""]
            if k.params:
                lines += ["| parameter | default | accepts | meaning |", "|---|---|---|---|"]
                for p in k.params:
                    lines.append(f"| `{p.name}` | {_default(p)} | {_accepts(p)} | {p.doc} |")
                lines.append("")
        presets = [p for p in PRESETS if p.family == family and p.name != CATALOGUE[p.type].title]
        if presets:
            lines += ["Palette presets:", ""]
            lines += [f"- **{p.name}** ({p.type} `{json.dumps(p.params)}`): {p.doc}"
                      for p in presets]
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
