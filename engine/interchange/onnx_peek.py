"""The input shapes an ONNX file declares, read without onnx or torch (for the designer).

File → Import… prefills its input-shape field with the model's own shape. The designer
imports neither torch nor onnx, so this module walks the file's protobuf encoding
itself, reading only what it needs: ``ModelProto.graph`` (field 7), the graph's
``input`` (field 11) minus the names of its ``initializer`` (field 5: older exporters
list weights as inputs too), and each input's ``type.tensor_type.shape.dim``
(``dim_value`` or the symbolic ``dim_param``). Length-delimited fields it does not need
(the weights) are skipped by their length, through a read-only memory map, so a large
file costs little.
"""

from __future__ import annotations

import mmap
from pathlib import Path

__all__ = ["onnx_input_shapes", "shape_text"]


def _varint(buf, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf, start: int, end: int):
    """``(field, wire_type, value)``; a length-delimited value is its ``(start, end)``."""
    i = start
    while i < end:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield field, wire, value
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > end:
                raise ValueError("truncated")
            yield field, wire, (i, i + n)
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire}")


def _sub(buf, span, field: int):
    """The spans of the length-delimited ``field`` inside ``span``."""
    return [v for f, w, v in _fields(buf, *span) if f == field and w == 2]


def _text(buf, span) -> str:
    return bytes(buf[span[0]:span[1]]).decode("utf-8", "replace")


def _dims(buf, value_info) -> tuple:
    dims: list = []
    for type_span in _sub(buf, value_info, 2)[:1]:
        for tensor in _sub(buf, type_span, 1)[:1]:
            for shape in _sub(buf, tensor, 2)[:1]:
                for dim in _sub(buf, shape, 1):
                    d = None
                    for f, w, v in _fields(buf, *dim):
                        if f == 1 and w == 0:
                            d = v
                        elif f == 2 and w == 2:
                            d = _text(buf, v)
                    dims.append(d)
    return tuple(dims)


def onnx_input_shapes(path) -> dict[str, tuple] | None:
    """``{input name: dims}`` (an int per known dimension, the name of a symbolic one,
    None for one left open), batch included; None when the file cannot be read as ONNX."""
    try:
        with open(Path(path), "rb") as fh, \
                mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            buf = memoryview(data)
            try:
                graphs = _sub(buf, (0, len(buf)), 7)
                if not graphs:
                    return None
                graph = graphs[-1]
                inits, inputs = set(), []
                for f, w, v in _fields(buf, *graph):
                    if f == 5 and w == 2:
                        inits.update(_text(buf, n) for n in _sub(buf, v, 8))
                    elif f == 11 and w == 2:
                        names = _sub(buf, v, 1)
                        inputs.append((_text(buf, names[0]) if names else "", _dims(buf, v)))
                return {name: dims for name, dims in inputs if name not in inits}
            finally:
                buf.release()
    except (OSError, ValueError, IndexError):
        return None


def shape_text(path) -> str:
    """``"C,H,W"`` (or ``"C,D,H,W"``) of a one-input ONNX file with known sizes, batch left
    out; ``""`` when the file has several inputs, symbolic sizes or cannot be read."""
    shapes = onnx_input_shapes(path)
    if not shapes or len(shapes) != 1:
        return ""
    dims = next(iter(shapes.values()))[1:]
    if len(dims) not in (3, 4) or not all(isinstance(d, int) and d > 0 for d in dims):
        return ""
    return ",".join(str(d) for d in dims)
