"""Training data and tasks (issue 12): generated shapes, class folders, task rules, curves.

Torch-free except where noted; tiny images only.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from engine.training import (
    SEG_CLASSES,
    SHAPE_CLASSES,
    DataError,
    TaskError,
    load_data,
    load_folder,
    make_shapes,
    task_from_shape,
)
from engine.training.curves import HEIGHT, WIDTH, draw_curves, save_curves
from engine.training.results import EpochMetrics, TrainConfig, TrainResult

from .test_training_helpers import image_folder


# -- shapes ---------------------------------------------------------------------------------
def test_shapes_arrays_classes_and_split_sizes():
    d = make_shapes(64, 3, 16, 16, seed=0)
    x, y, m = d["train"]
    assert x.shape == (64, 3, 16, 16) and x.dtype == np.uint8
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [16, 16, 16, 16]  # balanced
    assert m.shape == (64, 16, 16) and m.dtype == np.uint8
    assert len(d["val"][0]) == 16  # a quarter as many more
    assert SHAPE_CLASSES == ("circle", "square", "triangle", "cross")
    assert SEG_CLASSES == ("background", *SHAPE_CLASSES)
    # the per-pixel labels are the image's class (1-4) on the shape, 0 elsewhere
    for img_mask, label in zip(m, y, strict=True):
        values = set(np.unique(img_mask).tolist())
        assert values == {0, int(label) + 1}
    assert x.std() > 20  # colour, clutter and noise, not blank images


def test_shapes_are_fixed_by_the_seed_and_validation_never_repeats_training():
    a, b, c = (make_shapes(40, 3, 16, 16, seed=s) for s in (7, 7, 8))
    for split in ("train", "val"):
        for i in range(3):
            assert np.array_equal(a[split][i], b[split][i])
    assert not np.array_equal(a["train"][0], c["train"][0])
    train = {hashlib.sha1(im.tobytes()).digest() for im in a["train"][0]}
    assert not any(hashlib.sha1(im.tobytes()).digest() in train for im in a["val"][0])


@pytest.mark.parametrize("channels", [1, 5])
def test_shapes_take_any_channel_count_and_size(channels):
    x, _, m = make_shapes(8, channels, 12, 20, seed=1)["train"]
    assert x.shape == (8, channels, 12, 20) and m.shape == (8, 12, 20)


def test_shapes_seg_are_the_same_scenes_with_pixel_labels():
    cls = load_data("shapes", "classify", 4, 3, 16, 16, samples=16, seed=3)
    seg = load_data("shapes-seg", "segment", 5, 3, 16, 16, samples=16, seed=3)
    assert np.array_equal(cls.train_x, seg.train_x) and np.array_equal(cls.val_x, seg.val_x)
    assert seg.train_y.shape == (16, 16, 16) and seg.classes == SEG_CLASSES
    assert cls.train_y.shape == (16,) and cls.classes == SHAPE_CLASSES


@pytest.mark.parametrize("spec, task, k, match", [
    ("shapes", "classify", 10, "10 features but shapes has 4 classes"),
    ("shapes", "segment", 5, "needs per-pixel labels"),
    ("shapes-seg", "classify", 5, "needs a \\[K, H, W\\] output"),
    ("shapes-seg", "segment", 4, "4 channels but shapes-seg has 5 classes"),
])
def test_data_that_does_not_fit_the_output_is_a_task_error(spec, task, k, match):
    with pytest.raises(TaskError, match=match):
        load_data(spec, task, k, 3, 16, 16, samples=8)


# -- tasks ----------------------------------------------------------------------------------
def test_the_task_follows_the_output_shape():
    assert task_from_shape([4], (16, 16)) == ("classify", 4)
    assert task_from_shape([5, 16, 16], (16, 16)) == ("segment", 5)
    for bad in ([5, 8, 8], [1], [2, 3], [3, 4, 16, 16]):
        with pytest.raises(TaskError):
            task_from_shape(bad, (16, 16))


# -- folders --------------------------------------------------------------------------------
def test_a_folder_of_classes_with_a_corrupt_file_an_odd_mode_and_other_files(tmp_path):
    root = image_folder(tmp_path / "data", ("b_dogs", "a_cats", "c_birds"), per_class=5)
    (root / "a_cats" / "broken.png").write_bytes(b"\x89PNG not really")
    (root / "a_cats" / "notes.txt").write_text("ignored")
    (root / ".hidden").mkdir()
    Image.fromarray(np.zeros((9, 9), np.uint8)).save(root / ".hidden" / "x.png")
    Image.new("RGBA", (30, 30), (255, 0, 0, 128)).save(root / "c_birds" / "rgba.PNG")
    Image.new("P", (7, 5)).save(root / "b_dogs" / "palette.png")
    d = load_folder(root, 1, 8, 6, seed=0)
    assert d["classes"] == ["a_cats", "b_dogs", "c_birds"]  # sorted names
    assert d["skipped"] == ["a_cats/broken.png"]
    x, y = d["train"]
    vx, vy = d["val"]
    assert x.shape[1:] == (1, 8, 6) and x.dtype == np.uint8
    assert np.bincount(vy).tolist() == [1, 1, 1]  # round(5 / 5), round(6 / 5), round(6 / 5)
    assert np.bincount(y).tolist() == [4, 5, 5]
    again = load_folder(root, 1, 8, 6, seed=0)
    assert np.array_equal(again["val"][0], vx)  # a fixed split for a seed
    rgb = load_folder(root, 3, 8, 6, seed=0)["train"][0]
    assert rgb.shape[1] == 3


@pytest.mark.parametrize("case, match", [
    ("missing", "no such folder"),
    ("empty", "no class sub-folders"),
    ("single", "only one class"),
    ("unreadable", "no readable image"),
    ("one_each", "too few images"),
])
def test_folder_errors(tmp_path, case, match):
    root = tmp_path / "data"
    if case == "empty":
        root.mkdir()
    elif case == "single":
        image_folder(root, ("only",))
    elif case == "unreadable":
        image_folder(root, ("a",))
        (root / "b").mkdir()
        (root / "b" / "x.jpg").write_bytes(b"garbage")
    elif case == "one_each":
        image_folder(root, ("a", "b"), per_class=1)
    with pytest.raises(DataError, match=match):
        load_folder(root, 3, 8, 8)


def test_folder_channel_counts_images_cannot_fill(tmp_path):
    with pytest.raises(DataError, match="2 channels"):
        load_folder(image_folder(tmp_path / "d"), 2, 8, 8)


# -- metrics and curves ---------------------------------------------------------------------
def _epochs(n):
    return [EpochMetrics(i, 1.2 / i, 0.3 + 0.1 * i, 1.3 / i, 0.25 + 0.1 * i, 0.5)
            for i in range(1, n + 1)]


@pytest.mark.parametrize("n", [1, 3])
def test_curves_draw_both_panels(tmp_path, n):
    img = draw_curves(_epochs(n), "title")
    assert img.size == (WIDTH, HEIGHT)
    colours = {c for _, c in img.getcolors(1 << 16)}
    assert (31, 119, 180) in colours and (255, 127, 14) in colours  # train and validation
    path = save_curves(tmp_path / "curves.png", _epochs(n))
    assert Image.open(path).format == "PNG"


def test_metrics_json_has_the_contract_keys():
    r = TrainResult("segment", SEG_CLASSES, _epochs(2), {}, config=TrainConfig(epochs=2),
                    val_iou=[0.9, None, 0.5, 0.5, 0.5], val_miou=0.6)
    data = r.to_json()
    assert data["task"] == "segment" and data["classes"] == list(SEG_CLASSES)
    assert [set(e) for e in data["epochs"]] == [
        {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"}] * 2
    assert data["val_iou"][1] is None and data["config"]["epochs"] == 2
