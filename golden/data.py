"""Data sets for training and evaluation (NumPy only, no torch).

``load(name, split)`` returns ``(x, y)``: ``x`` uint8 of shape (N, 1, H, W), ``y`` int64 labels.
``name`` is a data set (``digits``, ``mnist``) or a network name that starts with one
(``mnist-rate-t4`` -> ``mnist``); ``split`` is ``train`` or ``heldout``.

digits
    scikit-learn's 8x8 handwritten digits (1,797 images, pixels 0..16), scaled to 0..255 as
    ``round(v * 255 / 16)`` (half up; computed exactly as ``(255 v + 8) // 16``). Fixed split: the
    image order is permuted with ``np.random.default_rng(0).permutation(1797)``; the last 360
    images of that permutation are ``heldout``, the first 1,437 are ``train`` (both in
    permutation order).
mnist
    The MNIST test set (``t10k-images-idx3-ubyte.gz`` / ``t10k-labels-idx1-ubyte.gz``) read from
    ``$SNN_DATASETS/mnist/`` (default ``<repo>/../shared/datasets/mnist/``); images 0..7999 are
    ``train``, 8000..9999 ``heldout``. The files are never copied into the repository. When they
    are absent, ``DatasetUnavailable`` is raised (tests skip on it).
"""

import functools
import gzip
import os

import numpy as np

__all__ = ["DATASETS", "SPLITS", "DatasetUnavailable", "UnknownDataset", "datasets_dir",
           "dataset_of", "digits", "mnist", "load", "pad_to", "DIGITS_HELDOUT"]

DATASETS = ("digits", "mnist")
#: classes per data set
CLASSES = {"digits": 10, "mnist": 10}
SPLITS = ("train", "heldout")
#: size of the digits held-out split (the last 360 of the seeded permutation)
DIGITS_HELDOUT = 360
#: MNIST: images [0, MNIST_TRAIN) are train, [MNIST_TRAIN, 10000) held out
MNIST_TRAIN = 8000

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DatasetUnavailable(RuntimeError):
    """The data set's files are not present here (the message is one line)."""


class UnknownDataset(ValueError):
    """A name that maps to no data set, or a bad split."""


def datasets_dir():
    """``$SNN_DATASETS`` or ``<repo>/../shared/datasets``."""
    return os.environ.get("SNN_DATASETS") or os.path.join(_REPO, "..", "shared", "datasets")


def dataset_of(name):
    """Data set of a data set or network name (``mnist-rate-t4`` -> ``mnist``)."""
    base = os.path.basename(str(name))
    if base.endswith(".json"):
        base = base[:-5]
    for d in DATASETS:
        if base == d or base.startswith(d + "-") or base.startswith(d + "_"):
            return d
    raise UnknownDataset(f"no data set for {name!r} (known: {', '.join(DATASETS)})")


def _split(x, y, split, train_idx, heldout_idx):
    if split not in SPLITS:
        raise UnknownDataset(f"split {split!r} is not one of {', '.join(SPLITS)}")
    idx = train_idx if split == "train" else heldout_idx
    return x[idx].copy(), y[idx].copy()


@functools.lru_cache(maxsize=None)
def _digits_all():
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - scikit-learn is a core dependency
        raise DatasetUnavailable("digits: scikit-learn is not installed") from None
    d = load_digits()
    v = np.asarray(d.images, dtype=np.int64)  # (1797, 8, 8), 0..16
    x = ((255 * v + 8) // 16).astype(np.uint8)[:, None]
    y = np.asarray(d.target, dtype=np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y, perm


def digits(split=None):
    """All digits ``(x, y)`` in scikit-learn's order, or one split (see the module doc)."""
    x, y, perm = _digits_all()
    if split is None:
        return x.copy(), y.copy()
    return _split(x, y, split, perm[:-DIGITS_HELDOUT], perm[-DIGITS_HELDOUT:])


def _read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise DatasetUnavailable(f"mnist: {path} is not an IDX file (magic {got:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


@functools.lru_cache(maxsize=None)
def _mnist_all(root):
    folder = os.path.join(root, "mnist")
    img = os.path.join(folder, "t10k-images-idx3-ubyte.gz")
    lab = os.path.join(folder, "t10k-labels-idx1-ubyte.gz")
    for p in (img, lab):
        if not os.path.isfile(p):
            raise DatasetUnavailable(f"mnist: {p} not found (set SNN_DATASETS to the folder "
                                     "that holds mnist/)")
    x = _read_idx(img, 0x803)[:, None].copy()
    y = _read_idx(lab, 0x801).astype(np.int64)
    if len(x) != len(y):
        raise DatasetUnavailable(f"mnist: {len(x)} images but {len(y)} labels")
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def mnist(split=None):
    """The MNIST test set ``(x, y)`` (10,000 images) or one split (see the module doc)."""
    x, y = _mnist_all(os.path.abspath(datasets_dir()))
    if split is None:
        return x.copy(), y.copy()
    n = len(y)
    return _split(x, y, split, np.arange(min(MNIST_TRAIN, n)), np.arange(MNIST_TRAIN, n))


def pad_to(x, input_shape):
    """Images (N, C, H, W) zero-padded equally on every side to a network's ``input_shape``
    (the input padding of ``golden.arch``); UnknownDataset when they cannot fit."""
    c, h, w = (int(v) for v in input_shape)
    dh, dw = h - x.shape[2], w - x.shape[3]
    if x.shape[1] != c or dh < 0 or dw < 0 or dh % 2 or dw % 2:
        raise UnknownDataset(f"images of shape {tuple(x.shape[1:])} do not fit the network "
                             f"input {(c, h, w)} (input padding adds the same border on every "
                             "side)")
    if not dh and not dw:
        return x
    return np.pad(x, ((0, 0), (0, 0), (dh // 2, dh // 2), (dw // 2, dw // 2)))


def load(name, split, input_shape=None):
    """``(x uint8 (N, C, H, W), y int64)`` of a data set or network name and a split; with
    ``input_shape``, the images are padded to it (``pad_to``)."""
    d = dataset_of(name)
    x, y = digits(split) if d == "digits" else mnist(split)
    return (x, y) if input_shape is None else (pad_to(x, input_shape), y)
