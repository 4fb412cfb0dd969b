"""golden.train: a tiny CAT run exports a loadable network that agrees with golden.dense."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from golden import dense, network  # noqa: E402
from golden import train  # noqa: E402


@pytest.mark.parametrize("name", ["digits", "digits-rate-t4"])
def test_tiny_training(tmp_path, name):
    torch.set_num_threads(2)
    out = tmp_path / f"{name}.json"
    float_from = None
    if name != "digits":  # variants start from a base float ANN
        train.train_network("digits", epochs=1, limit=300, out=str(tmp_path / "digits.json"),
                            progress=False, log=lambda *a: None)
        float_from = str(tmp_path / "digits.float.npz")
    net, meta = train.train_network(name, epochs=1, limit=300, out=str(out), progress=False,
                                    float_from=float_from, log=lambda *a: None)
    loaded = network.load(str(out))
    assert loaded.coding == net.coding and loaded.T == net.T
    h = meta["heldout"]
    assert h["agreement"] >= 0.99
    assert h["agreement_cat_float"] >= 0.9
    assert meta["torch"] == torch.__version__ and len(meta["lambda"]) == 2
    # the stored accuracy is the dense model's on the held-out images used
    from golden import data
    x, y = data.load("digits", "heldout")
    _, pred = dense.predict(loaded, x[:300])
    assert abs(float((pred == y[:300]).mean()) - h["int_acc"]) < 1e-12


def test_integer_forward_matches_dense():
    """The torch integer-semantics forward returns exactly the dense model's scores."""
    torch.set_num_threads(2)
    from golden import data
    x, y = data.load("digits", "train")
    fm = train.FloatANN(train.ARCH["digits"], 8)
    model = train.CATNet(fm.folded(), T=6, coding="ttfs")
    train.init_lambdas(model, x)
    net = train.build(model, "digits-ttfs-t6", x.shape[1:])
    a0 = train.encode(x[:64], 6, "ttfs", "round")
    _, exact = model.forward_int(a0, net, x[:64])
    scores, _ = dense.predict(net, x[:64])
    scale = train.export_scales(model, net.F)[-1]
    assert np.array_equal(np.rint(exact.numpy() * scale).astype(np.int64), scores)


def test_export_refused_exit_2(tmp_path, monkeypatch):
    """A network that does not fit the contract: one line on stderr, status 2, nothing written."""
    def bad(*args, **kwargs):
        raise train.ExportError("digits: export refused: layers[0].threshold: must be positive")
    monkeypatch.setattr(train, "build", bad)
    out = tmp_path / "x.json"
    rc = train.main(["--net", "digits", "--epochs", "1", "--limit", "100", "--out", str(out),
                     "--quiet"])
    assert rc == 2 and not out.exists() and not (tmp_path / "digits.float.npz").exists()


def test_cli_help():
    p = subprocess.run([sys.executable, "-m", "golden.train", "--list"], capture_output=True,
                       text=True)
    assert p.returncode == 0 and "mnist-rate-t2" in p.stdout
