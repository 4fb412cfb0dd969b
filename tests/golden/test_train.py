"""golden.train: a tiny CAT run exports a loadable network that agrees with golden.dense."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from golden import (  # noqa: E402
    arch,
    catnet,
    data,
    dense,
    floatnet,
    network,
    train,  # noqa: E402
)
from golden.nets import resolve  # noqa: E402

QUIET = dict(progress=False, log=lambda *a: None)


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
    x, y = data.load("digits", "heldout")
    _, pred = dense.predict(loaded, x[:300])
    assert abs(float((pred == y[:300]).mean()) - h["int_acc"]) < 1e-12


def test_integer_forward_matches_dense():
    """The torch integer-semantics forward returns exactly the dense model's scores."""
    torch.set_num_threads(2)
    x, y = data.load("digits", "train")
    fm = catnet.FloatANN(arch.arch_of("digits"), (1, 8, 8))
    model = catnet.CATNet(fm.folded(), T=6, coding="ttfs")
    train.init_lambdas(model, x)
    net = catnet.build(model, "digits-ttfs-t6", x.shape[1:])
    a0 = catnet.encode(x[:64], 6, "ttfs", "round")
    _, exact = model.forward_int(a0, net, x[:64])
    scores, _ = dense.predict(net, x[:64])
    scale = catnet.export_scales(model, net.F)[-1]
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


def test_same_seed_same_bytes(tmp_path):
    """Two short trainings with the same seed, threads and software write identical files."""
    files = []
    for run in ("a", "b"):
        out = tmp_path / run / "digits.json"
        assert train.main(["--net", "digits", "--epochs", "1", "--limit", "200", "--out",
                           str(out), "--threads", "1", "--quiet"]) == 0
        files.append((out.read_bytes(), (out.parent / "digits.float.npz").read_bytes()))
    assert files[0] == files[1]
    out = tmp_path / "c" / "digits.json"
    train.main(["--net", "digits", "--epochs", "1", "--limit", "200", "--out", str(out),
                "--threads", "1", "--quiet", "--seed", "1"])
    assert out.read_bytes() != files[0][0]  # the seed matters


def test_default_output_is_build_not_shipped(tmp_path, monkeypatch):
    """Without --replace-shipped, training never touches nets/."""
    monkeypatch.setattr(train, "BUILD_NETS_DIR", str(tmp_path / "build"))
    shipped = open(resolve("digits"), "rb").read()
    assert train.main(["--net", "digits", "--epochs", "1", "--limit", "100", "--threads", "1",
                       "--quiet"]) == 0
    assert (tmp_path / "build" / "digits.json").is_file()
    assert (tmp_path / "build" / "digits.float.npz").is_file()
    assert open(resolve("digits"), "rb").read() == shipped


def test_replace_shipped_and_out_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exc:
        train.main(["--net", "digits", "--out", "x.json", "--replace-shipped"])
    assert exc.value.code == 2


def test_any_architecture(tmp_path):
    """A spec with a stride-2 conv, a hidden dense layer and input padding trains, exports a
    network of that architecture, and its float ANN runs in NumPy as in torch."""
    spec = "pad=2,c4s2,c6,p,fc12,fc10"
    out = tmp_path / "tiny.json"
    net, meta = train.train_network("tiny", arch=spec, dataset="digits", epochs=1, limit=200,
                                    out=str(out), **QUIET)
    loaded = network.load(str(out))
    assert loaded.input_shape == (1, 12, 12)
    assert [l.kind for l in loaded.layers] == ["conv2d", "conv2d", "dense", "classifier"]
    assert [l.stride for l in loaded.layers[:2]] == [2, 1] and loaded.layers[1].pool
    assert meta["arch"]["spec"] == spec and meta["heldout"]["agreement"] == 1.0
    x, y = data.load("digits", "heldout", loaded.input_shape)
    layers = floatnet.load(str(out))
    model = catnet.CATNet(catnet.load_float(str(tmp_path / "tiny.float.npz")))
    with torch.no_grad():
        want = model.forward_float(torch.from_numpy(x[:50] / 255.0).float()).numpy()
    assert np.allclose(floatnet.forward(layers, x[:50]), want, atol=1e-4)
    assert floatnet.input_padding(str(out)) == 2


def test_deep_variant_uses_its_base_float_model(tmp_path):
    """mnist-vgg16-ttfs-t4 starts from mnist-vgg16.float.npz, not from mnist's."""
    base, coding, T, _ = train.parse_name("mnist-vgg16-ttfs-t4")
    assert (base, coding, T) == ("mnist-vgg16", "ttfs", 4)
    (tmp_path / "mnist-vgg16.float.npz").write_bytes(b"")
    assert floatnet.float_path(str(tmp_path / "mnist-vgg16-ttfs-t4.json")).endswith(
        "mnist-vgg16.float.npz")


def test_bad_arch_exit_2(capsys):
    rc = train.main(["--net", "digits", "--arch", "c4,p,p,fc10", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("python -m golden.train: error: architecture token 3 'p'")


def test_torchrun_two_cpu_processes(tmp_path):
    """DistributedDataParallel under torchrun: two CPU processes (gloo) train one network;
    process 0 writes it."""
    out = tmp_path / "digits.json"
    p = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", "-m", "golden.train", "--net", "digits",
                        "--epochs", "1", "--limit", "128", "--out", str(out), "--quiet",
                        "--threads", "1"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    net = network.load(str(out))
    assert net.meta["training"]["processes"] == 2
    assert net.meta["heldout"]["agreement"] == 1.0
    assert (tmp_path / "checkpoints" / "digits-seed0.float.npz").is_file()


def test_data_set_absent_says_where(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path))
    assert train.main(["--net", "vgg16-cifar10", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "cifar-10-batches-py") in err


# -- the activity (spike-count) regulariser -------------------------------------------------

def _digits_model(T=6, coding="ttfs"):
    x, _ = data.load("digits", "train")
    fm = catnet.FloatANN(arch.arch_of("digits"), (1, 8, 8))
    model = catnet.CATNet(fm.folded(), T=T, coding=coding)
    train.init_lambdas(model, x)
    return model, x


@pytest.mark.parametrize("coding", ["ttfs", "rate"])
def test_spike_count_is_the_dense_models(coding):
    """The regulariser's forward value is the number of events the layers write to the spike
    buffer (input events excluded), exactly as golden.dense counts them."""
    torch.set_num_threads(2)
    model, x = _digits_model(T=4, coding=coding)
    net = catnet.build(model, f"digits-{coding}-t4", x.shape[1:])
    a0 = catnet.encode(x[:32], 4, coding, "round")
    _, spikes = model(a0, net, x[:32], activity=True)
    _, res = dense.run(net, x[:32])
    want = np.zeros(32)
    for r in res:
        if r.spikes is not None:  # TTFS: the pooled map; rate: counts before the avg pool
            m = r.pooled if coding == "ttfs" else r.spikes
            want += ((m < 4) if coding == "ttfs" else m).reshape(32, -1).sum(axis=1)
    assert np.array_equal(spikes.detach().numpy(), want)
    # the CAT forward counts its own quantised map the same way
    logits, cat_spikes = model(a0, activity=True)
    assert logits.shape == (32, 10) and cat_spikes.shape == (32,)
    assert torch.equal(model(a0), logits)


def test_spike_count_gradient_pushes_every_firing_neuron_down():
    lam = torch.tensor(2.0)
    a = torch.tensor([[0.0, 2.0, 0.25, 1e-3]], requires_grad=True)
    n = catnet.SpikeCountFn.apply(a, lam, 8, "ttfs")
    assert n.item() == 3
    n.sum().backward()
    assert torch.allclose(a.grad, torch.full_like(a, 0.5))  # 1 / lambda, however late


def test_activity_regulariser_fewer_spikes_and_recorded(tmp_path):
    """Default off: the file has no trace of it; on: recorded in meta.training and the trained
    network fires less on the same data."""
    torch.set_num_threads(2)
    spikes, metas = [], []
    for a in (None, 50.0):
        out = tmp_path / f"a{a}.json"
        settings = {} if a is None else {"activity": a}
        net, meta = train.train_network("digits", epochs=1, limit=300, out=str(out),
                                        settings=settings, **QUIET)
        x, _ = data.load("digits", "heldout")
        _, res = dense.run(net, x[:300])
        spikes.append(sum(int((r.pooled < net.T).sum()) for r in res if r.pooled is not None))
        metas.append(meta["training"])
    assert "activity" not in metas[0] and metas[1]["activity"] == 50.0
    assert spikes[1] < spikes[0]


def test_activity_must_be_a_number(capsys):
    with pytest.raises(SystemExit) as exc:
        train.main(["--net", "digits", "--activity", "-1"])
    assert exc.value.code == 2
    assert "--activity: must be a number >= 0" in capsys.readouterr().err
