"""golden.data: shapes, dtypes, the fixed splits, and no torch."""

import subprocess
import sys

import numpy as np
import pytest

from golden import data


def test_digits_splits():
    xt, yt = data.load("digits", "train")
    xh, yh = data.load("digits", "heldout")
    assert xt.shape == (1437, 1, 8, 8) and xh.shape == (360, 1, 8, 8)
    assert xt.dtype == np.uint8 and yt.dtype == np.int64 and yh.dtype == np.int64
    assert xt.max() == 255 and xt.min() == 0
    assert set(np.unique(yh)) == set(range(10))
    # the split is the documented permutation of scikit-learn's order
    xa, ya = data.digits()
    perm = np.random.default_rng(0).permutation(len(ya))
    assert np.array_equal(xh, xa[perm[-360:]]) and np.array_equal(yt, ya[perm[:-360]])
    # pixel scaling round(v * 255 / 16)
    from sklearn.datasets import load_digits
    v = load_digits().images
    assert np.array_equal(xa[:, 0], np.floor(v * 255 / 16 + 0.5).astype(np.uint8))


def test_digits_split_is_stable():
    _, y1 = data.load("digits", "heldout")
    _, y2 = data.load("digits-rate-t4", "heldout")
    assert np.array_equal(y1, y2)
    assert y1[:10].tolist() == [0, 8, 8, 9, 8, 3, 7, 5, 0, 6]


def test_returns_copies():
    x, _ = data.load("digits", "train")
    x[:] = 0
    assert data.load("digits", "train")[0].max() == 255


def test_names_and_errors():
    assert data.dataset_of("mnist-rate-t4") == "mnist"
    assert data.dataset_of("nets/digits-floor.json") == "digits"
    with pytest.raises(data.UnknownDataset):
        data.load("cifar", "train")
    with pytest.raises(data.UnknownDataset):
        data.load("digits", "test")


def test_mnist_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    with pytest.raises(data.DatasetUnavailable) as exc:
        data.load("mnist", "train")
    assert "\n" not in str(exc.value)


def test_mnist_splits():
    try:
        xt, yt = data.load("mnist", "train")
        xh, yh = data.load("mnist", "heldout")
    except data.DatasetUnavailable as exc:
        pytest.skip(str(exc))
    assert xt.shape == (8000, 1, 28, 28) and xh.shape == (2000, 1, 28, 28)
    assert xt.dtype == np.uint8 and yh.dtype == np.int64
    assert set(np.unique(yh)) == set(range(10))


def test_golden_does_not_import_torch():
    code = ("import sys, golden.data, golden.floatnet, golden.evaluate, golden.dense, "
            "golden.network; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
