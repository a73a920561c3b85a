"""The tensor fed to each ``Input``: images resized and converted, or seeded noise.

The whole image is resized to the Input's height and width with bilinear
interpolation (antialiased when shrinking, ``align_corners=False``); the
aspect ratio is not preserved and nothing is cropped, so every part of the
picture reaches the network. Pixel values become float32 in [0, 1]
(``uint8 / 255``). A 1-channel Input gets the luminance ``0.299 R + 0.587 G +
0.114 B`` (ITU-R BT.601), a 3-channel Input gets RGB (a grayscale picture is
repeated on the three channels). Other channel counts and 3D Inputs (with a
depth) get a seeded uniform random tensor in [0, 1).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..graph import Graph
from . import images
from .build import as_graph
from .errors import ImageError

__all__ = ["DEFAULT_IMAGE", "LUMA", "prepare_input", "uses_image"]

#: The bundled sample image (the command line's default).
DEFAULT_IMAGE = Path(__file__).resolve().parents[2] / "resources" / "images" / "scene.png"

#: ITU-R BT.601 luma weights.
LUMA = (0.299, 0.587, 0.114)


def _image_array(image) -> np.ndarray:
    """An image as float32 ``H x W x C`` (C = 1 or 3) in [0, 1]."""
    if isinstance(image, (str, Path)):
        image = images.load_image(image)
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ImageError(f"expected an H x W or H x W x 3 image, got an array of shape "
                         f"{a.shape}")
    if a.shape[2] == 4:
        a = a[:, :, :3]
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if a.dtype == bool:
        return a.astype(np.float32)
    if not np.issubdtype(a.dtype, np.floating):
        raise ImageError(f"expected a uint8 or float image, got dtype {a.dtype}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ImageError("the image contains NaN or infinite values")
    return np.clip(a, 0.0, 1.0)


def _input_params(graph: Graph, input_id: str) -> dict:
    if input_id not in graph.nodes or graph.nodes[input_id].type != "Input":
        raise ValueError(f"{input_id!r} is not an Input node of the graph")
    return graph.nodes[input_id].resolved()


def _random_seed(seed: int, input_id: str) -> int:
    """The generator seed of a random input: ``seed`` mixed with the Input's id."""
    return (int(seed) * 1_000_003 + zlib.crc32(input_id.encode())) % (1 << 63)


def uses_image(graph, input_id: str) -> bool:
    """Whether :func:`prepare_input` feeds an image (not noise) to this Input."""
    p = _input_params(as_graph(graph), input_id)
    return images.takes_image(p["channels"], p["depth"])


def prepare_input(graph, input_id: str, image=None, seed: int = 0) -> np.ndarray:
    """The tensor fed to one Input.

    Parameters
    ----------
    graph : Graph or dict
        The graph.
    input_id : str
        Id of an ``Input`` node.
    image : numpy.ndarray or path, optional
        ``H x W x 3`` or ``H x W`` (``x 4``: alpha dropped), ``uint8`` or
        float in [0, 1], or an image file. Default: the bundled sample
        (:data:`DEFAULT_IMAGE`). Ignored for Inputs that get noise.
    seed : int, optional
        Seed of the random tensor (mixed with ``input_id``, so two Inputs
        differ).

    Returns
    -------
    numpy.ndarray
        float32 ``[1, C, H, W]`` (``[1, C, D, H, W]`` for 3D Inputs); see the
        module docstring for how the image is resized and converted.

    Raises
    ------
    ImageError
        The image cannot be read or is not an image array.
    """
    graph = as_graph(graph)
    p = _input_params(graph, input_id)
    c, h, w, d = p["channels"], p["height"], p["width"], p["depth"]
    if d is not None or c not in (1, 3):
        shape = (1, c, h, w) if d is None else (1, c, d, h, w)
        gen = torch.Generator().manual_seed(_random_seed(seed, input_id))
        return torch.rand(shape, generator=gen, dtype=torch.float32).numpy()
    a = _image_array(DEFAULT_IMAGE if image is None else image)
    if c == 1 and a.shape[2] == 3:
        a = a @ np.asarray(LUMA, dtype=np.float32)
        a = a[:, :, None]
    elif c == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]
    if tuple(t.shape[2:]) != (h, w):
        t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False,
                          antialias=True).clamp_(0.0, 1.0)
    return np.ascontiguousarray(t.numpy(), dtype=np.float32)
