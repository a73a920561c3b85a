"""A folder of class sub-folders as a training set (numpy and Pillow).

Self-contained: the exported training script carries a verbatim copy.

``DIR/<class>/<image>``: the sorted names of the sub-folders (hidden ones,
starting with ``.``, left out) are the classes; ``.png``, ``.jpg`` and
``.jpeg`` files in them (any case, not in deeper folders) are the images;
other files are ignored. Each image is decoded with Pillow (EXIF rotation
applied), converted to the Input's channels (1: Pillow's ``L``, the BT.601
luma; 3: ``RGB``; 4: ``RGBA``) and resized to the Input's size (bilinear,
antialiased when shrinking; the aspect ratio is not kept). A file that
Pillow cannot decode is skipped and counted (:func:`load_folder` returns
them). A fifth of each class (``round(n / 5)``, at least one when the class
has two images or more), chosen by the seed, is held out for validation.

Errors (:class:`DataError`): not a folder, no class sub-folders, a single
class, a class without any readable image, or an Input channel count other
than 1, 3 or 4.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .tasks import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def folder_classes(root):
    """``(classes, files)``: sorted class names, and per class its sorted image paths."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("no such folder (--data takes shapes, shapes-seg or a folder of "
                        "class sub-folders)" if not root.exists() else "not a folder", root)
    try:
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"cannot list the folder: {exc.strerror or exc}", root) from None
    files = []
    for sub in subs:
        try:
            names = sorted(p for p in sub.iterdir()
                           if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as exc:
            raise DataError(f"cannot list the folder: {exc.strerror or exc}", sub) from None
        files.append(names)
    if not subs or not any(files):
        raise DataError("no class sub-folders with images (expected DIR/<class>/<image>"
                        ".png or .jpg)", root)
    if len(subs) == 1:
        raise DataError(f"only one class ({subs[0].name}): training needs at least two "
                        "class sub-folders", root)
    return [s.name for s in subs], files


def _read_image(path, channels, height, width):
    """The image as uint8 ``[C, H, W]``, or None when Pillow cannot decode it."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            im.draft(PIL_MODES[channels] if channels != 4 else "RGB", (width, height))
            im = ImageOps.exif_transpose(im)
            im = im.convert(PIL_MODES[channels])
            if im.size != (width, height):
                im = im.resize((width, height), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def _held_out(n):
    """Validation images of a class of ``n``: a fifth, at least one from two images on."""
    return 0 if n < 2 else max(1, round(n / 5))


def load_folder(root, channels, height, width, seed=0):
    """Read a folder of class sub-folders.

    Returns
    -------
    dict
        ``classes`` (names), ``train`` and ``val`` (``(images uint8 [N, C, H, W],
        labels int64 [N])``), ``skipped`` (paths of the files Pillow could not
        decode, relative to ``root``).

    Raises
    ------
    DataError
        See the module docstring.
    """
    if channels not in PIL_MODES:
        raise DataError(f"images cannot fill an Input of {channels} channels (1, 3 or 4)",
                        root)
    root = Path(root)
    classes, files = folder_classes(root)
    flat = [(k, p) for k, names in enumerate(files) for p in names]
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:  # Pillow decodes and resizes without the GIL
        arrays = list(pool.map(lambda kp: _read_image(kp[1], channels, height, width), flat))
    skipped = [str(p.relative_to(root)) for (_, p), a in zip(flat, arrays, strict=True)
               if a is None]
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    parts = {"train": ([], []), "val": ([], [])}
    for k, name in enumerate(classes):
        good = [a for (kk, _), a in zip(flat, arrays, strict=True) if kk == k and a is not None]
        if not good:
            raise DataError(f"class {name!r} has no readable image", root / name)
        order = rng.permutation(len(good))
        n_val = _held_out(len(good))
        for split, idx in (("val", order[:n_val]), ("train", order[n_val:])):
            parts[split][0].extend(good[i] for i in idx)
            parts[split][1].extend([k] * len(idx))
    if not parts["val"][1]:
        raise DataError("too few images to hold any out for validation (a class needs "
                        "at least two)", root)
    out = {"classes": classes, "skipped": skipped}
    shape = (0, channels, height, width)
    for split, (imgs, labels) in parts.items():
        out[split] = (np.stack(imgs) if imgs else np.zeros(shape, np.uint8),
                      np.asarray(labels, dtype=np.int64))
    return out
