"""Read an ONNX model into the intermediate form (:class:`~.ir.Net`); imports onnx.

Shapes come from ONNX shape inference on the model with its batch set to 1 (and the
given input shape); where inference leaves a value without one, onnxruntime runs the
model once and measures it. Weights are the initializers (and ``Constant`` nodes),
as numpy arrays. The operators are mapped in :mod:`.onnx_ops`; a node they do not
take becomes ``Opaque``. Ids come from the module path the torch exporter records
(``pkg.torch.onnx.name_scopes``), the weight's initializer name, or the node's name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from .ir import Net, Op
from .onnx_ops import HANDLERS, Node

__all__ = ["read_onnx", "OnnxReadError"]


class OnnxReadError(Exception):
    """The ONNX model cannot be read."""


def _load(source) -> onnx.ModelProto:
    try:
        if isinstance(source, onnx.ModelProto):
            return source
        if isinstance(source, bytes):
            return onnx.load_from_string(source)
        path = Path(source)
        if not path.is_file():
            raise OnnxReadError(f"{source}: no such file")
        return onnx.load(str(path))
    except OnnxReadError:
        raise
    except Exception as exc:
        raise OnnxReadError(f"{source}: not an ONNX model ({_line(exc)})") from None


def _line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _fix_inputs(model, consts, input_shape):
    graph_inputs = [i for i in model.graph.input if i.name not in consts]
    shapes = input_shape
    if shapes is not None and shapes and isinstance(shapes[0], int):
        shapes = [shapes]
    for n, vi in enumerate(graph_inputs):
        dims = vi.type.tensor_type.shape.dim
        want = shapes[n] if shapes is not None and n < len(shapes) else None
        if want is not None:
            if len(dims) != len(want) + 1:
                raise OnnxReadError(f"input {vi.name} has {len(dims)} axes; --input-shape "
                                    f"gives {len(want)} without the batch")
            for d, v in zip(dims[1:], want, strict=True):
                d.ClearField("dim_param")
                d.dim_value = int(v)
        if dims:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
        for d in dims[1:]:
            if not d.HasField("dim_value"):
                raise OnnxReadError(f"input {vi.name} has a size without a value "
                                    f"({d.dim_param or '?'}): give --input-shape")
    return graph_inputs


def _shapes(model) -> dict[str, tuple[int, ...]]:
    out = {}
    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception:
        inferred = model
    for vi in (*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            out[vi.name] = tuple(int(d.dim_value) for d in t.shape.dim)
    return out


def _measure(model, names, graph_inputs) -> dict[str, tuple[int, ...]]:
    """Shapes of ``names`` by running the model once in onnxruntime."""
    import onnxruntime as ort
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for n in names:
        if n not in have:
            m.graph.output.append(onnx.ValueInfoProto(name=n))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {}
    for vi in graph_inputs:
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        feed[vi.name] = np.zeros(dims, dtype=dtype)
    outs = sess.run(names, feed)
    return {n: tuple(np.asarray(v).shape) for n, v in zip(names, outs, strict=True)}


def _path_of(node, consts) -> tuple[str, bool]:
    """``(module path, whether it is the node's own module)``."""
    meta = {p.key: p.value for p in node.metadata_props}
    for name in node.input[1:2]:
        if name in consts and "." in name:  # a weight: layer1.0.conv1.weight
            return name.rpartition(".")[0], True
    # the torch exporter's "namespace": ": Net/layer1.0: Block/relu: ReLU/relu: aten.relu"
    parts = [seg.split(": ", 1) for seg in meta.get("namespace", "").split("/")]
    parts = [(a.strip(), b.strip()) for a, b in (p for p in parts if len(p) == 2)]
    if len(parts) >= 2:
        mods = parts[1:-1]  # the modules between the root and the operator
        if not mods:
            return "", False
        path, cls = mods[-1]
        owned = cls.startswith(("torch.nn.modules.", "engine.nnlib."))
        return path, owned
    scopes = _literal(meta.get("pkg.torch.onnx.name_scopes"))
    if scopes and len(scopes) >= 3:
        return scopes[-2], False
    if node.name:
        return node.name.replace("/", ".").strip("."), True
    return "", False


def _literal(text):
    if not text:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def read_onnx(source, input_shape=None, name: str = "") -> Net:
    """The :class:`Net` of an ONNX model (path, bytes or ``ModelProto``)."""
    model = onnx.ModelProto()
    model.CopyFrom(_load(source))
    try:
        from onnx import version_converter
        if model.opset_import and min(o.version for o in model.opset_import
                                      if o.domain in ("", "ai.onnx")) < 13:
            model = version_converter.convert_version(model, 13)
    except Exception:
        pass
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute:
            a = node.attribute[0]
            if a.name == "value":
                consts[node.output[0]] = numpy_helper.to_array(a.t)
            elif a.name in ("value_float", "value_int"):
                consts[node.output[0]] = np.array(a.f if a.name == "value_float" else a.i)
            elif a.name in ("value_floats", "value_ints"):
                consts[node.output[0]] = np.array(list(a.floats or a.ints))
    graph_inputs = _fix_inputs(model, consts, input_shape)
    shapes = _shapes(model)
    wanted = [o for n in model.graph.node if n.op_type != "Constant" for o in n.output
              if o and o not in shapes and o not in consts]
    if wanted:
        try:
            shapes.update(_measure(model, wanted, graph_inputs))
        except Exception as exc:
            raise OnnxReadError(f"cannot tell the shapes of {', '.join(wanted[:3])}: "
                                f"{_line(exc)}") from None
    net = Net(name or model.graph.name or "Imported")
    readers: dict[str, int] = {}
    for node in model.graph.node:
        for i in node.input:
            readers[i] = readers.get(i, 0) + 1
    state = Node.State(net, consts, shapes, readers)
    for vi in graph_inputs:
        s = shapes.get(vi.name)
        if s is None or len(s) not in (4, 5):
            raise OnnxReadError(f"input {vi.name} has shape {s}: an image [N, C, H, W] "
                                "or a volume [N, C, D, H, W] is needed")
        s = s[1:]
        params = {"channels": s[0], "height": s[-2], "width": s[-1]}
        if len(s) == 4:
            params["depth"] = s[1]
        net.add(Op(vi.name, "Input", params, [], s, hint=vi.name))
        net.record(vi.name, "input", "mapped", vi.name)
        state.alias[vi.name] = vi.name
    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        path, owned = _path_of(node, consts)
        n = Node(state, node, path, owned)
        handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        try:
            if handler is not None and handler(n) is not False:
                continue
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            pass  # an unusual use the handler was not written for: Opaque
        if any(o in state.alias for o in node.output):
            continue
        if n.is_shape_arithmetic():
            continue
        n.opaque()
    net.outputs = [state.alias[o.name] for o in model.graph.output if o.name in state.alias]
    net.prune()
    return net
