"""Issue 17: a mutation fuzzer over the example graphs, and an injection set.

Each case takes one example file and mutates it: flipped, inserted or cut bytes;
values of the right kind at their edges (sizes, strides, scales, other layer types,
rewired edges), which reach the analysis and the exporter; or JSON values swapped
for numbers beyond the float range, ``NaN``/``Infinity`` literals, unpaired
surrogates, wrong types, deep nesting, long strings and nulls, keys renamed or
dropped, items duplicated. ``analyze`` and ``export`` then run on it
in this process; a case passes when both exit with 0, 1 or 2, raise nothing but
``SystemExit``, print no traceback and finish within :data:`CALL_SECONDS`; and a
file that opens saves again (or fails with a ``GraphFileError``), as the designer's
Save and autosave do.

The cases are derandomised (case ``i`` of seed ``s`` is always the same file), so a
failure names ``(seed, i)`` to replay with :func:`make_case`. ``bench/fuzz.py``
runs the same fuzzer at scale and prints its counts.

The injection set puts code, quotes and newlines in every string of a graph: the
exported code parses and holds none of them (cli.md: exported code contains no text
taken verbatim from the file other than validated identifiers and numbers).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.convgraph.json"))
SEED = 17
CASES = 300
CHUNK = 50
#: the longest one command may take on one mutated example (they take ~0.05 s)
CALL_SECONDS = 10.0

_MARK = "\x00MUTATION\x00"
HUGE = ["1" + "0" * 400, "-1" + "0" * 320, "1e400", "-1e400", "1e-400", "2e308",
        str(2 ** 1024), "9" * 4000, "1.7976931348623157e308"]
CONSTANTS = ["NaN", "Infinity", "-Infinity"]
TYPES = ["null", "true", "false", "0", "-1", "-0", "1.5", "0.5", '""', "[]", "{}", "[1, 2, 3]",
         '[1, "2", null]', '{"a": 1}', '"same"', "2147483648", "65537", "1025", "-1024"]
STRINGS = ['"\\ud800"', '"x\\udfff"', '"\\udc00\\ud800"', '"a\\nb"', '"\\u0000"', '"__x"',
           '"relu1\\n"', '"\\"\\"\\"; import os #"', '"\\u2028"', '"é"', '" "', '"self"',
           '"forward"', '"input"']


def deep(rng: random.Random) -> str:
    n = rng.choice([40, 200, 900, 3000, 20000])
    return "[" * n + "]" * n


def long_string(rng: random.Random) -> str:
    return '"' + rng.choice(["x", "é", "\\ud800", "ab"]) * rng.choice([300, 70_000]) + '"'


def replacement(rng: random.Random, hot: bool = False) -> str:
    """The JSON text that replaces one value (``hot``: more of the values that broke
    the reader: huge numbers, surrogates, nulls)."""
    pick = rng.random()
    if hot:
        if pick < 0.25:
            return rng.choice([HUGE[0], HUGE[1], HUGE[6], HUGE[7]])  # ints past float range
        if pick < 0.35:
            return rng.choice(HUGE)
        if pick < 0.6:
            return rng.choice(STRINGS[:3] + ["null", "5", "[]"])
        pick = rng.random()
    if pick < 0.2:
        return rng.choice(HUGE)
    if pick < 0.3:
        return rng.choice(CONSTANTS)
    if pick < 0.6:
        return rng.choice(TYPES)
    if pick < 0.8:
        return rng.choice(STRINGS)
    if pick < 0.9:
        return deep(rng)
    return long_string(rng)


def _places(data, path=()):
    """Every place of a value (path) and every object key (path, key)."""
    yield ("value", path)
    if isinstance(data, dict):
        for k, v in data.items():
            yield ("key", (*path, k))
            yield from _places(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _places(v, (*path, i))


def _hot(path: tuple) -> bool:
    """The name, description, ids, positions, parameters and edge ends."""
    if len(path) == 1:
        return path[0] in ("name", "description")
    return len(path) >= 3 and (path[2] in ("id", "pos", "params", "from", "to", "port"))


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def mutate_json(data, rng: random.Random) -> str:
    """One to three value, key or structure mutations; returns the file text."""
    raw: list[str] = []
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):  # one: none masks it
        places = list(_places(data))
        keys = rng.random() < 0.15
        hot = [p for p in places if p[0] == "value" and _hot(p[1])]
        targeted = bool(hot) and not keys and rng.random() < 0.6
        if targeted:  # where the bugs lived
            top = [p for p in hot if len(p[1]) == 1]  # the free text: name, description
            what, path = rng.choice(top if top and rng.random() < 0.25 else hot)
        else:
            what, path = rng.choice([p for p in places if (p[0] == "key") == keys] or places)
        pick = rng.random()
        if not path:
            if pick < 0.5:
                raw.append(replacement(rng))
                data = f"{_MARK}{len(raw) - 1}"
            continue
        parent = _get(data, path[:-1])
        last = path[-1]
        if what == "key":
            new_key = f"{_MARK}{len(raw)}"
            raw.append(rng.choice(STRINGS + ['"' + "k" * 5000 + '"', '"id"', '"type"']))
            parent[new_key] = parent.pop(last)
        elif pick < 0.7 or targeted:
            raw.append(replacement(rng, targeted))
            parent[last] = f"{_MARK}{len(raw) - 1}"
        elif pick < 0.8 and isinstance(parent, dict):
            del parent[last]
        elif pick < 0.9 and isinstance(parent, list):
            parent.insert(rng.randint(0, len(parent)), parent[last])  # a duplicate
        elif isinstance(parent, list) and len(parent) > 1:
            j = rng.randrange(len(parent))
            parent[last], parent[j] = parent[j], parent[last]
        else:
            raw.append(replacement(rng))
            parent[last] = f"{_MARK}{len(raw) - 1}"
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for i, r in enumerate(raw):
        text = text.replace(json.dumps(f"{_MARK}{i}", ensure_ascii=False), r)
    return text


def mutate_bytes(raw: bytes, rng: random.Random) -> bytes:
    """Flip, insert or delete a few bytes, or cut the file."""
    b = bytearray(raw)
    pick = rng.random()
    if pick < 0.1:
        return bytes(b[:rng.randrange(len(b) + 1)])
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        if pick < 0.6:
            b[i] ^= 1 << rng.randrange(8)
        elif pick < 0.8:
            b[i:i] = bytes([rng.randrange(256)])
        else:
            del b[i]
    return bytes(b)


INTS = [1, 2, 3, 5, 7, 16, 63, 64, 1023, 1024, 1, 2, 3, 0, 65536, 1025, 65537, -1, 2 ** 31]
FLOATS = [0.0, 1e-9, 0.5, 1.5, 2.5, 63.99, 64.0, 1e9, -0.5]
WORDS = ["same", "valid", "zeros", "reflect", "replicate", "circular", "nearest", "bilinear",
         "bicubic", "trilinear", "-inf", "inf"]
#: types that take the same parameters: a swap keeps the file readable
SIBLINGS = {t: group for group in (
    ["Conv2d", "ConvTranspose2d", "DeformConv2d"], ["MaxPool2d", "AvgPool2d"],
    ["ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "BatchNorm2d", "Dropout", "Flatten",
     "SqueezeExcitation", "ChannelShuffle", "AdaptiveAvgPool2d"],
    ["Add", "Concat", "Multiply"]) for t in group}
TYPES_OF_LAYERS = ["Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "Upsample",
                   "Concat", "Add", "Flatten", "Linear", "SqueezeExcitation", "MaxUnpool2d",
                   "DeformConv2d", "Conv3d", "Input", "BatchNorm2d", "ChannelShuffle"]


def mutate_plausibly(data: dict, rng: random.Random) -> str:
    """Values of the right kind but at the edges: extreme sizes, strides, scales, other
    layer types, rewired edges. These reach the analysis and the exporter."""
    nodes = [n for n in data.get("nodes", []) if isinstance(n, dict)]
    ids = [n.get("id") for n in nodes]
    with_params = [n for n in nodes if isinstance(n.get("params"), dict) and n["params"]]
    for _ in range(rng.randint(1, 2)):
        pick = rng.random()
        if pick < 0.55 and with_params:
            params = rng.choice(with_params)["params"]
            key = rng.choice(sorted(params))
            v = params[key]
            if isinstance(v, bool):
                params[key] = not v
            elif isinstance(v, int):
                params[key] = rng.choice(INTS if rng.random() < 0.2 else INTS[:13])
            elif isinstance(v, float):
                params[key] = rng.choice(FLOATS)
            elif isinstance(v, str):
                params[key] = rng.choice(WORDS)
            elif isinstance(v, list):
                params[key] = [rng.choice(INTS[:12]) for _ in range(rng.choice([1, 2, 3, 4]))]
            else:
                params[key] = rng.choice(INTS[:10])
        elif pick < 0.65 and nodes:
            node = rng.choice(nodes)
            kin = SIBLINGS.get(node.get("type"))
            node["type"] = rng.choice(kin if kin and rng.random() < 0.8 else TYPES_OF_LAYERS)
        elif pick < 0.9 and data.get("edges"):
            edge = rng.choice(data["edges"])
            if rng.random() < 0.7:
                edge["from"] = rng.choice(ids)
            else:
                edge["port"] = rng.choice([0, 1, 2, 5])
        elif nodes:
            node = rng.choice(nodes)
            if node.get("type") == "Input":
                node["params"] = {"channels": rng.choice([1, 3, 7]),
                                  "height": rng.choice([1, 2, 3, 64, 1024, 65536]),
                                  "width": rng.choice([1, 2, 5, 64, 4096])}
            else:
                data["nodes"].remove(node)
                nodes.remove(node)
                with_params = [n for n in with_params if n is not node]
    return json.dumps(data, indent=1)


def make_case(seed: int, index: int) -> tuple[str, bytes]:
    """``(description, file bytes)`` of case ``index`` of ``seed`` (always the same)."""
    rng = random.Random(f"{seed}:{index}")
    example = EXAMPLES[rng.randrange(len(EXAMPLES))]
    raw = example.read_bytes()
    pick = rng.random()
    if pick < 0.2:
        return f"{example.name} bytes", mutate_bytes(raw, rng)
    if pick < 0.55:
        return f"{example.name} edges", mutate_plausibly(json.loads(raw), rng).encode()
    text = mutate_json(json.loads(raw), rng)
    return f"{example.name} json", text.encode("utf-8", "surrogatepass")


class Hang(BaseException):
    """A command ran past its time (a BaseException: no ``except Exception`` eats it)."""


def _alarm(signum, frame):
    raise Hang


def run_command(argv: list[str], seconds: float = CALL_SECONDS, call=cli_main) -> dict:
    """Run one CLI command here: ``{"code", "traceback", "hang", "seconds", "err"}``."""
    out, err = io.StringIO(), io.StringIO()
    got = {"code": None, "traceback": None, "hang": False}
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                got["code"] = call(argv)
            except SystemExit as exc:
                got["code"] = exc.code
    except Hang:
        got["hang"] = True
    except Exception as exc:  # noqa: BLE001 - what the fuzzer looks for
        import traceback

        got["traceback"] = "".join(traceback.format_exception(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    got["seconds"] = time.perf_counter() - t0
    got["err"] = err.getvalue()
    if got["traceback"] is None and "Traceback" in got["err"]:
        got["traceback"] = got["err"]
    return got


def run_save(path: Path, out: Path, seconds: float = CALL_SECONDS) -> dict:
    """What the designer does with a file it opened: save it again (a failure must be a
    :class:`GraphFileError`, so the designer shows it), in :func:`run_command`'s form."""
    from engine import GraphFileError, load_graph, save_graph

    def save(argv):
        try:
            save_graph(load_graph(argv[0]), argv[1])
            load_graph(argv[1])
        except GraphFileError as exc:
            print(f"error: {exc}".replace("\n", "\\n"), file=sys.stderr)
            return 2
        return 0

    return run_command([str(path), str(out)], seconds, call=save)


def check_case(seed: int, index: int, folder: Path) -> list[str]:
    """The problems of one case (empty when it passes)."""
    what, data = make_case(seed, index)
    path = folder / f"case{index}.convgraph.json"
    path.write_bytes(data)
    problems = []
    for argv in (["analyze", str(path)], ["export", str(path), "-o", str(folder / "m.py")],
                 ["save", str(path), str(folder / "saved.convgraph.json")]):
        got = (run_save(path, folder / "saved.convgraph.json") if argv[0] == "save"
               else run_command(argv))
        name = f"case ({seed}, {index}) {what}, {argv[0]}"
        if got["hang"]:
            problems.append(f"{name}: ran past {CALL_SECONDS} s")
        elif got["traceback"]:
            problems.append(f"{name}: {got['traceback'].strip().splitlines()[-1]}")
        elif got["code"] not in (0, 1, 2):
            problems.append(f"{name}: exit code {got['code']!r}")
        elif got["code"] == 2 and len(got["err"].strip().splitlines()) != 1:
            problems.append(f"{name}: not one line on stderr: {got['err'][:200]!r}")
    return problems


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX timers bound each call")
@pytest.mark.parametrize("start", range(0, CASES, CHUNK))
def test_mutated_examples_never_crash_or_hang(tmp_path, start):
    problems = []
    for i in range(start, start + CHUNK):
        problems += check_case(SEED, i, tmp_path)
    assert not problems, "\n".join(problems)


def test_the_cases_are_derandomised():
    assert make_case(SEED, 5) == make_case(SEED, 5)
    assert len({make_case(SEED, i)[1] for i in range(20)}) == 20


# -- injection: text from the file never reaches exported code ---------------------------
PAYLOADS = [
    '"""; import os; os.system("echo _pwn3d") #',
    "'''\n__import__('os').system('_pwn3d')\n'''",
    '\\"); print("_pwn3d',
    "x\n    def forward(self, x): return _pwn3d\n",
    "\r\n# _pwn3d\r\n\x0c\x0b",
    "_pwn3d\u2028eval('1')\u2029",
    "{_pwn3d!r}${_pwn3d}%(_pwn3d)s",
]


def graph_with(name: str = "n", description: str = "d", **param) -> dict:
    return {"format": "convcanvas-graph", "version": 1, "name": name,
            "description": description, "nodes": [
                {"id": "x", "type": "Input", "params": {"channels": 1, "height": 8,
                                                         "width": 8}},
                {"id": "conv", "type": "Conv2d", "params": {"out_channels": 2, **param}},
                {"id": "up", "type": "Upsample", "params": {"mode": "nearest"}}],
            "edges": [{"from": "x", "to": "conv"}, {"from": "conv", "to": "up"}]}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_in_name_and_description_never_reaches_exported_code(tmp_path, payload):
    path = tmp_path / "g.convgraph.json"
    path.write_text(json.dumps(graph_with(payload, payload)))
    out = tmp_path / "m.py"
    got = run_command(["export", str(path), "-o", str(out)])
    assert got["code"] == 0, got["err"]
    code = out.read_text()
    tree = ast.parse(code)
    assert payload not in code
    for fragment in ("_pwn3d", "system(", "__import__", "eval(", "print("):
        assert fragment not in code, fragment
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes and all(c.isidentifier() and c.isascii() for c in classes)


@pytest.mark.parametrize("field", ["id", "padding_mode", "padding", "mode", "key"])
@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_text_in_ids_and_parameters_is_refused(tmp_path, field, payload):
    data = graph_with()
    if field == "id":
        data["nodes"][1]["id"] = payload
        data["edges"] = [{"from": "x", "to": payload}]
    elif field == "mode":
        data["nodes"][2]["params"]["mode"] = payload
    elif field == "key":
        data["nodes"][1]["params"][payload] = 1
    else:
        data["nodes"][1]["params"][field] = payload
    path = tmp_path / "g.convgraph.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "m.py"
    got = run_command(["export", str(path), "-o", str(out)])
    assert got["code"] in (1, 2) and not got["traceback"]
    assert len(got["err"].strip().splitlines()) == 1
    assert not out.exists()
