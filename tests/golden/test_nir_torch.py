"""Bring your own model with torch: a graph written by snnTorch's NIR exporter and a plain
torch.nn.Sequential become networks through the CAT fine-tune (golden.convert); unsupported
layers are refused in one line. Needs the [train] extra (torch, snnTorch, nirtorch, nir)."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")
nir = pytest.importorskip("nir", reason="needs the nir package")
snn = pytest.importorskip("snntorch", reason="needs snnTorch (the [train] extra)")
pytest.importorskip("nirtorch", reason="needs nirtorch (the [train] extra)")

import torch.nn as nn  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402

from golden import catnet, data, dense, event, network  # noqa: E402
from golden import nir as gnir  # noqa: E402
from golden import torch_import as ti  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ann(pool=nn.AvgPool2d, bn=False):
    """A small digits CNN: 1x8x8 -> 6x8x8 -> pool -> 8x4x4 -> 10."""
    layers = [nn.Conv2d(1, 6, 3, padding=1)] + ([nn.BatchNorm2d(6)] if bn else []) + \
        [nn.ReLU(), pool(2), nn.Conv2d(6, 8, 3, padding=1)] + \
        ([nn.BatchNorm2d(8)] if bn else []) + [nn.ReLU(), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def _trained(model, epochs=15):
    torch.manual_seed(0)
    x, y = data.load("digits", "train")
    xt, yt = torch.from_numpy(x / 255.0).float(), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for i in range(0, len(x), 64):
            loss = nn.functional.cross_entropy(model(xt[i:i + 64]), yt[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def _snntorch_graph(model):
    """The ANN as an snnTorch SNN (ReLU -> Leaky(beta=1), IF), exported by snnTorch."""
    def neuron(shape, output=False):
        return snn.Leaky(beta=torch.ones(shape), threshold=torch.ones(shape), init_hidden=True,
                         output=output)
    net = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), neuron((6, 8, 8)), nn.AvgPool2d(2),
                        nn.Conv2d(6, 8, 3, padding=1), neuron((8, 4, 4)), nn.Flatten(),
                        nn.Linear(128, 10), neuron((10,), output=True))
    for a, b in zip([m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))],
                    [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]):
        b.load_state_dict(a.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # tau = dt / (1 - beta) = inf
        return export_to_nir(net, torch.zeros(1, 1, 8, 8), ignore_dims=[0])


def _float_forward(layers, pool, x):
    model = catnet.CATNet([(l, torch.from_numpy(np.asarray(w, np.float32)),
                            torch.from_numpy(np.asarray(b, np.float32))) for l, w, b in layers],
                          float_pool=pool)
    with torch.no_grad():
        return model.forward_float(torch.from_numpy(x / 255.0).float())


def test_snntorch_graph_reads_as_the_ann(tmp_path):
    """snnTorch's export (LIF without leak, r = inf) read back computes the ANN it came from."""
    torch.manual_seed(1)
    model = _ann().eval()
    path = str(tmp_path / "m.nir")
    nir.write(path, _snntorch_graph(model))
    f = gnir.read_foreign(gnir.read(path))
    assert f.input_shape == (1, 8, 8) and f.float_pool == "avg"
    assert [l.kind for l, _, _ in f.layers] == ["conv2d", "conv2d", "classifier"]
    x = data.load("digits", "heldout")[0][:50]
    with torch.no_grad():
        want = model(torch.from_numpy(x / 255.0).float())
    assert torch.allclose(_float_forward(f.layers, "avg", x), want, atol=1e-5)


@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_torch_sequential_folds_batch_norm(pool):
    torch.manual_seed(2)
    model = _ann(pool, bn=True)
    for m in model:
        if isinstance(m, nn.BatchNorm2d):  # non-trivial running statistics and affine
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    model.eval()
    layers, kind = ti.read_module(model, (1, 8, 8))
    assert kind == ("max" if pool is nn.MaxPool2d else "avg")
    x = data.load("digits", "heldout")[0][:50]
    with torch.no_grad():
        want = model(torch.from_numpy(x / 255.0).float())
    assert torch.allclose(_float_forward(layers, kind, x), want, atol=1e-4)


@pytest.mark.parametrize("model, message", [
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Sigmoid(), nn.Flatten(), nn.Linear(256, 10)),
     r"layer 1 \(Sigmoid\): not supported"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=2, dilation=2), nn.ReLU(), nn.Flatten(),
                   nn.Linear(256, 10)), r"layer 0 \(Conv2d\): dilation 2"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, groups=1), nn.ReLU(), nn.MaxPool2d(3, 3),
                   nn.Flatten(), nn.Linear(16, 10)),
     r"layer 2 \(MaxPool2d\): kernel 3, stride 3, padding 0; the contract pools 2x2"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4), nn.Flatten(),
                   nn.Linear(256, 10)), r"layer 2 \(BatchNorm2d\): must follow a Conv2d"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                   nn.Flatten(), nn.Linear(256, 10)),
     r"layer 1 \(Conv2d\) follows layer 0 without a ReLU"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 10),
                   nn.ReLU()), r"the last layer must be a Linear classifier"),
])
def test_torch_refusals_name_the_layer(model, message):
    with pytest.raises(ti.TorchImportError, match=message):
        ti.read_module(model.eval(), (1, 8, 8))


def test_torch_file_with_unsupported_class_is_refused_in_one_line(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh()), path)
    out = tmp_path / "o.json"
    r = subprocess.run([sys.executable, "-m", "golden.torch_import", str(path), "--data",
                        "digits", "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip().splitlines() == [
        f"python -m golden.torch_import: error: {path}: layer class "
        "torch.nn.modules.activation.Tanh is not supported; the contract runs "
        f"{', '.join(ti.SUPPORTED)}"]
    torch.save(_ann().state_dict(), path)
    r = subprocess.run([sys.executable, "-m", "golden.torch_import", str(path), "--data",
                        "digits", "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "holds a OrderedDict, not a module" in r.stderr


def _check_converted(out, source_format):
    """The written network loads, its accuracy record is the golden model's, and the
    event-driven model equals the dense one on a few held-out images."""
    net = network.load(str(out))
    h, src = net.meta["heldout"], net.meta["source"]
    assert src["format"] == source_format and net.meta["float_model"] is None
    x, y = data.load("digits", "heldout")
    _, pred = dense.predict(net, x)
    assert abs(float((pred == y).mean()) - h["int_acc"]) < 1e-12
    assert h["float_acc"] > 0.8 and h["int_acc"] > 0.8, h
    for img in x[:3]:
        scores_d, _ = dense.predict(net, img[None])
        assert np.array_equal(event.run(net, img).scores, scores_d[0])
    return net


def test_snntorch_graph_converts_through_cat(tmp_path):
    """A trained model exported by snnTorch -> network, through the command line."""
    torch.set_num_threads(1)
    path = tmp_path / "digits-snn.nir"
    nir.write(str(path), _snntorch_graph(_trained(_ann())))
    out = tmp_path / "digits-snn.json"
    assert gnir.main([
        "import", str(path), "--data", "digits", "--out", str(out), "--T", "6",
        "--cat-epochs", "2", "--int-epochs", "1", "--quiet"]) == 0
    net = _check_converted(out, "nir")
    assert (net.name, net.coding, net.T) == ("digits-snn", "ttfs", 6)
    assert net.meta["source"]["float_pool"] == "avg"
    assert any("classifier's membrane" in n for n in net.meta["source"]["notes"])


def test_torch_file_converts_through_cat(tmp_path):
    torch.set_num_threads(1)
    path = tmp_path / "m.pt"
    torch.save(_trained(_ann(nn.MaxPool2d, bn=True)), path)
    out = tmp_path / "digits-torch.json"
    assert ti.main([str(path), "--data", "digits", "--out", str(out), "--coding", "rate",
                    "--T", "4", "--cat-epochs", "2", "--int-epochs", "0", "--quiet"]) == 0
    net = _check_converted(out, "torch")
    assert (net.coding, net.T, net.layers[0].pool) == ("rate", 4, True)
