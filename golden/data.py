"""Data sets for training and evaluation (NumPy only, no torch).

``load(name, split)`` returns ``(x, y)``: ``x`` uint8 of shape (N, C, H, W), ``y`` int64 labels.
``name`` is a data set (``digits``, ``mnist``, ``cifar10``, ``cifar100``, ``tinyimagenet``) or a
network name that starts with one (``mnist-rate-t4`` -> ``mnist``) or has one as a part
(``vgg16-cifar10``); ``split`` is ``train`` or ``heldout``. Nothing here downloads anything:
the files are read from ``$SNN_DATASETS`` (default ``<repo>/../shared/datasets``), and a data set
that is absent raises ``DatasetUnavailable`` naming where it looked.

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
cifar10, cifar100
    The python pickle batches of the CIFAR distribution, in ``$SNN_DATASETS/cifar-10-batches-py/``
    (``data_batch_1`` .. ``data_batch_5`` are ``train``, ``test_batch`` ``heldout``) and
    ``$SNN_DATASETS/cifar-100-python/`` (``train``, ``test``; the 100 fine labels); 3x32x32.
    The pickles are read with an unpickler that admits only NumPy arrays, lists and dicts.
tinyimagenet
    Tiny-ImageNet's folder format in ``$SNN_DATASETS/tiny-imagenet-200/``: the classes are the
    lines of ``wnids.txt`` in order; ``train/<wnid>/images/*.JPEG`` is ``train`` (sorted by file
    name), ``val/images/*`` labelled by ``val/val_annotations.txt`` is ``heldout``; 3x64x64
    (greyscale files are repeated over the three channels).
"""

import functools
import gzip
import os
import pickle

import numpy as np

__all__ = ["DATASETS", "SPLITS", "DatasetUnavailable", "UnknownDataset", "datasets_dir",
           "dataset_of", "digits", "mnist", "load", "pad_to", "DIGITS_HELDOUT"]

DATASETS = ("digits", "mnist", "cifar10", "cifar100", "tinyimagenet")
#: classes per data set
CLASSES = {"digits": 10, "mnist": 10, "cifar10": 10, "cifar100": 100, "tinyimagenet": 200}
#: folder of each file-based data set under datasets_dir()
FOLDERS = {"mnist": "mnist", "cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python",
           "tinyimagenet": "tiny-imagenet-200"}
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
    for d in DATASETS:  # vgg16-cifar10
        if d in base.split("-"):
            return d
    raise UnknownDataset(f"no data set for {name!r} (known: {', '.join(DATASETS)})")


def _split(x, y, split, train_idx, heldout_idx):
    if split not in SPLITS:
        raise UnknownDataset(f"split {split!r} is not one of {', '.join(SPLITS)}")
    idx = train_idx if split == "train" else heldout_idx
    return x[idx].copy(), y[idx].copy()


@functools.cache
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


@functools.cache
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


class _ArrayUnpickler(pickle.Unpickler):
    """Admits the globals a pickled NumPy array needs, nothing else (no code runs)."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        return super().find_class(module, name)


def _folder(dataset):
    folder = os.path.join(os.path.abspath(datasets_dir()), FOLDERS[dataset])
    if not os.path.isdir(folder):
        raise DatasetUnavailable(f"{dataset}: {folder} not found (set SNN_DATASETS to the folder "
                                 f"that holds {FOLDERS[dataset]}/; nothing is downloaded)")
    return folder


def _cifar_batch(path, label_key):
    if not os.path.isfile(path):
        raise DatasetUnavailable(f"{path} not found")
    try:
        with open(path, "rb") as f:
            d = _ArrayUnpickler(f, encoding="bytes").load()
        x = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        y = np.asarray(d[label_key], dtype=np.int64)
    except (pickle.UnpicklingError, KeyError, ValueError, TypeError, EOFError) as exc:
        raise DatasetUnavailable(f"{path} is not a CIFAR python batch ({exc})") from None
    if len(x) != len(y):
        raise DatasetUnavailable(f"{path}: {len(x)} images but {len(y)} labels")
    return x, y


@functools.cache
def _cifar(dataset, root, split):
    folder = _folder(dataset)
    if dataset == "cifar10":
        names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
        key = b"labels"
    else:
        names, key = ["train" if split == "train" else "test"], b"fine_labels"
    parts = [_cifar_batch(os.path.join(folder, n), key) for n in names]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    if y.min() < 0 or y.max() >= CLASSES[dataset]:
        raise DatasetUnavailable(f"{dataset}: label {int(y.max())} outside "
                                 f"0..{CLASSES[dataset] - 1}")
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _read_rgb(path, size):
    from PIL import Image  # pillow comes with matplotlib
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.uint8)
    if a.shape[:2] != (size, size):
        raise DatasetUnavailable(f"{path}: {a.shape[1]}x{a.shape[0]} image, expected "
                                 f"{size}x{size}")
    return a.transpose(2, 0, 1)


@functools.cache
def _tinyimagenet(root, split):
    folder = _folder("tinyimagenet")
    wnids_path = os.path.join(folder, "wnids.txt")
    if not os.path.isfile(wnids_path):
        raise DatasetUnavailable(f"tinyimagenet: {wnids_path} not found")
    with open(wnids_path) as f:
        wnids = [w.strip() for w in f if w.strip()]
    index = {w: i for i, w in enumerate(wnids)}
    files = []
    if split == "train":
        for w in wnids:
            d = os.path.join(folder, "train", w, "images")
            if not os.path.isdir(d):
                raise DatasetUnavailable(f"tinyimagenet: {d} not found")
            files += [(os.path.join(d, n), index[w]) for n in sorted(os.listdir(d))]
    else:
        ann = os.path.join(folder, "val", "val_annotations.txt")
        if not os.path.isfile(ann):
            raise DatasetUnavailable(f"tinyimagenet: {ann} not found")
        with open(ann) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) < 2:
                    continue
                if parts[1] not in index:
                    raise DatasetUnavailable(f"tinyimagenet: {ann}: class {parts[1]!r} is not "
                                             "in wnids.txt")
                files.append((os.path.join(folder, "val", "images", parts[0]), index[parts[1]]))
    x = np.stack([_read_rgb(p, 64) for p, _ in files]) if files else np.zeros((0, 3, 64, 64),
                                                                                np.uint8)
    y = np.array([c for _, c in files], dtype=np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


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
    if split not in SPLITS:
        raise UnknownDataset(f"split {split!r} is not one of {', '.join(SPLITS)}")
    root = os.path.abspath(datasets_dir())
    if d == "digits":
        x, y = digits(split)
    elif d == "mnist":
        x, y = mnist(split)
    elif d == "tinyimagenet":
        x, y = (a.copy() for a in _tinyimagenet(root, split))
    else:
        x, y = (a.copy() for a in _cifar(d, root, split))
    return (x, y) if input_shape is None else (pad_to(x, input_shape), y)
