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
    assert data.dataset_of("vgg16-cifar10") == "cifar10"
    assert data.dataset_of("cifar100-vgg16") == "cifar100"
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
            "golden.network, golden.arch, golden.randnet; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- CIFAR and Tiny-ImageNet, on tiny files in their formats written here -----------------------

def _write_cifar_batch(path, x, labels, key):
    import pickle
    with open(path, "wb") as f:  # as the CIFAR distribution: bytes keys, a uint8 array
        pickle.dump({b"batch_label": b"synthetic", key: labels,
                     b"data": x.reshape(len(x), -1), b"filenames": [b"f"] * len(x)}, f)


def test_cifar10(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    xs, ys = [], []
    for i in range(1, 6):
        x = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, 3)]
        _write_cifar_batch(folder / f"data_batch_{i}", x, y, b"labels")
        xs.append(x)
        ys += y
    xt_want = rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)
    _write_cifar_batch(folder / "test_batch", xt_want, [9, 0], b"labels")
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    x, y = data.load("cifar10", "train")
    assert x.shape == (15, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.array_equal(x, np.concatenate(xs)) and y.tolist() == ys
    xh, yh = data.load("vgg16-cifar10", "heldout")
    assert np.array_equal(xh, xt_want) and yh.tolist() == [9, 0]


def test_cifar100_fine_labels(monkeypatch, tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    x = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    for name in ("train", "test"):
        import pickle
        with open(folder / name, "wb") as f:
            pickle.dump({b"fine_labels": [99, 0, 5, 42], b"coarse_labels": [1, 2, 3, 4],
                         b"data": x.reshape(4, -1)}, f)
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    xt, yt = data.load("cifar100", "train")
    assert np.array_equal(xt, x) and yt.tolist() == [99, 0, 5, 42]


def test_cifar_pickle_runs_no_code(monkeypatch, tmp_path):
    """A pickle that would call a function is refused with one line, and nothing runs."""
    import pickle
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    with open(folder / "train", "wb") as f:
        pickle.dump({b"data": Evil(), b"fine_labels": []}, f)
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    with pytest.raises(data.DatasetUnavailable, match="is not a CIFAR python batch") as exc:
        data.load("cifar100", "train")
    assert "\n" not in str(exc.value) and not marker.exists()


def test_tinyimagenet(monkeypatch, tmp_path):
    from PIL import Image
    rng = np.random.default_rng(2)
    root = tmp_path / "tiny-imagenet-200"
    wnids = ["n01443537", "n01629819"]
    (root / "val" / "images").mkdir(parents=True)
    (root / "wnids.txt").write_text("\n".join(wnids) + "\n")
    want = {}
    for w in wnids:
        d = root / "train" / w / "images"
        d.mkdir(parents=True)
        for j in range(2):  # PNG content under the .JPEG name keeps the pixels exact
            a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
            Image.fromarray(a).save(d / f"{w}_{j}.JPEG", format="PNG")
            want[(w, j)] = a
    grey = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(grey).save(root / "val" / "images" / "val_0.JPEG", format="PNG")
    (root / "val" / "val_annotations.txt").write_text(f"val_0.JPEG\t{wnids[1]}\t0\t0\t9\t9\n")
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    x, y = data.load("tinyimagenet", "train")
    assert x.shape == (4, 3, 64, 64) and y.tolist() == [0, 0, 1, 1]
    assert np.array_equal(x[2], want[(wnids[1], 0)].transpose(2, 0, 1))
    xh, yh = data.load("tinyimagenet", "heldout")
    assert yh.tolist() == [1] and all(np.array_equal(xh[0, c], grey) for c in range(3))


@pytest.mark.parametrize("name, folder", [("cifar10", "cifar-10-batches-py"),
                                          ("cifar100", "cifar-100-python"),
                                          ("tinyimagenet", "tiny-imagenet-200")])
def test_colour_sets_missing_say_where(monkeypatch, tmp_path, name, folder):
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    with pytest.raises(data.DatasetUnavailable) as exc:
        data.load(name, "train")
    msg = str(exc.value)
    assert str(tmp_path / folder) in msg and "\n" not in msg and "nothing is downloaded" in msg


def test_pad_to():
    x = np.ones((2, 1, 28, 28), np.uint8)
    p = data.pad_to(x, (1, 32, 32))
    assert p.shape == (2, 1, 32, 32) and p.sum() == x.sum() and p[0, 0, 2:30, 2:30].all()
    assert data.pad_to(x, (1, 28, 28)) is x
    with pytest.raises(data.UnknownDataset, match="do not fit the network input"):
        data.pad_to(x, (1, 31, 31))
