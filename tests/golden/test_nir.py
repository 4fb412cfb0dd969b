"""golden.nir: NIR export of every shipped network and its exact import; foreign graphs (built
with nir's own classes here, no torch) read as a float ANN or refused in one line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

nir = pytest.importorskip("nir", reason="the nir package is not installed (the [nir] extra; "
                                        "`make setup` installs it with the dev extra)")

from golden import network  # noqa: E402
from golden import nir as gnir  # noqa: E402
from golden.nets import SHIPPED_ALL, resolve  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("name", SHIPPED_ALL)
def test_round_trip_is_identical(tmp_path, name):
    """network -> NIR file -> network: the same file, byte for byte."""
    net = network.load(name)
    path = tmp_path / f"{name}.nir"
    gnir.export(net, str(path))
    graph = gnir.read(str(path))
    assert gnir.is_exported_here(graph)
    back = gnir.from_graph(graph)
    with open(resolve(name)) as f:
        assert network.dumps(back) == f.read()
    for a, b in zip(net.layers, back.layers):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
        assert (a.threshold is None) == (b.threshold is None)
        assert a.threshold is None or np.array_equal(a.threshold, b.threshold)


def test_graph_is_in_contract_units():
    """Weights are (-1)^s 2^(F-e), thresholds Theta_int per neuron, the pool kind is recorded."""
    net = network.load("digits")
    g = gnir.to_graph(net)
    kinds = [type(g.nodes[n]).__name__ for n in ("input", "conv0", "if0", "pool0", "flatten",
                                                 "classifier", "membrane", "output")]
    assert kinds == ["Input", "Conv2d", "IF", "SumPool2d", "Flatten", "Affine", "I", "Output"]
    l0 = net.layers[0]
    code = int(l0.weights.flat[0])
    s, e = code >> 4, code & 15
    want = 0.0 if e == 15 else (-1) ** s * 2.0 ** (net.F - e)
    assert g.nodes["conv0"].weight.flat[0] == want
    assert np.array_equal(g.nodes["if0"].v_threshold[:, 3, 5], l0.threshold)
    assert g.nodes["pool0"].metadata == {"pool": "max"}
    rec = json.loads(g.metadata[gnir.META_KEY])
    assert (rec["coding"], rec["T"], rec["F"], rec["fire_rule"], rec["c4"]) == \
        ("ttfs", net.T, net.F, "round", [3] * (net.T - 1) + [2])
    rate = gnir.to_graph(network.load("digits-rate-t4"))
    assert type(rate.nodes["pool0"]).__name__ == "AvgPool2d"


def _export(tmp_path, name="digits"):
    path = str(tmp_path / f"{name}.nir")
    gnir.export(network.load(name), path)
    return gnir.read(path)


def test_tampered_weight_is_refused(tmp_path):
    g = _export(tmp_path)
    w = np.array(g.nodes["conv0"].weight, dtype=np.float64)
    w.flat[4] = 3.0 * abs(w.flat[4]) + 3.0
    g.nodes["conv0"].weight = w
    with pytest.raises(gnir.NIRError, match=r"node conv0: weight .* at \(0, 0, 1, 1\) is not"):
        gnir.from_graph(g)


def test_fractional_bias_is_refused(tmp_path):
    g = _export(tmp_path)
    b = np.array(g.nodes["classifier"].bias, dtype=np.float64)
    b[2] += 0.5
    g.nodes["classifier"].bias = b
    with pytest.raises(gnir.NIRError, match="node classifier.bias: expected integers"):
        gnir.from_graph(g)


def test_threshold_must_be_per_channel(tmp_path):
    g = _export(tmp_path)
    t = np.array(g.nodes["if0"].v_threshold)
    t[0, 0, 0] += 2
    g.nodes["if0"].v_threshold = t
    with pytest.raises(gnir.NIRError, match="node if0.v_threshold: differs between positions"):
        gnir.from_graph(g)


def test_export_refuses_values_float64_cannot_hold(tmp_path):
    doc = network.to_doc(network.load("digits"))
    doc["T"] = 1  # (at T = 8 the membrane-width check already refuses such a bias)
    del doc["membrane_bits"]
    doc["layers"][-1]["bias"][0] = (1 << 53) + 1
    net = network.build_network(doc)
    out = tmp_path / "big.nir"
    with pytest.raises(gnir.NIRError, match=r"layers\[2\].bias: value 9007199254740993 is not "
                                            "exact"):
        gnir.export(net, str(out))
    assert not out.exists()


# -- foreign graphs built with nir's classes ------------------------------------------------------

def _foreign(neuron=None, pool=None, conv=None, classifier_neuron=None):
    """input 1x8x8 -> conv 4 -> neuron -> pool -> flatten -> affine 10 [-> neuron] -> output."""
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4, 1, 3, 3))
    conv_kw = dict(input_shape=np.array([8, 8]), weight=w0, stride=1, padding=1, dilation=1,
                   groups=1, bias=rng.normal(size=4))
    conv_kw.update(conv or {})
    theta = np.full((4, 8, 8), 2.0)
    nodes = {"input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
             "c": nir.Conv2d(**conv_kw),
             "n": neuron or nir.IF(r=np.full((4, 8, 8), 3.0), v_threshold=theta),
             "p": pool or nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                        padding=np.array([0, 0])),
             "f": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0,
                              end_dim=-1),
             "a": nir.Affine(weight=rng.normal(size=(10, 64)), bias=rng.normal(size=10))}
    chain = ["input", "c", "n", "p", "f", "a"]
    if classifier_neuron is not None:
        nodes["o"] = classifier_neuron
        chain.append("o")
    nodes["output"] = nir.Output(output_type={"output": np.array([10])})
    chain.append("output")
    return nir.NIRGraph(nodes=nodes, edges=list(zip(chain[:-1], chain[1:])), type_check=False)


def test_foreign_graph_becomes_a_float_ann():
    """r/v_threshold (3/2) folds into the conv, the sum pool is 4 averages."""
    g = _foreign(classifier_neuron=nir.LIF(tau=np.full(10, np.inf), r=np.full(10, np.inf),
                                           v_leak=np.zeros(10), v_threshold=np.ones(10)))
    f = gnir.read_foreign(g)
    assert f.input_shape == (1, 8, 8) and f.float_pool == "avg"
    (l0, w0, b0), (l1, w1, b1) = f.layers
    assert (l0.kind, l0.size, l0.kernel, l0.padding, l0.pool) == ("conv2d", 4, 3, 1, True)
    assert np.allclose(w0, g.nodes["c"].weight * 1.5 * 4)
    assert np.allclose(b0, g.nodes["c"].bias * 1.5 * 4)
    assert l1.kind == "classifier" and np.array_equal(w1, g.nodes["a"].weight)
    assert any("classifier's membrane" in n for n in f.notes)


LEAK = nir.LIF(tau=np.full((4, 8, 8), 0.02), r=np.ones((4, 8, 8)), v_leak=np.zeros((4, 8, 8)),
               v_threshold=np.ones((4, 8, 8)))


@pytest.mark.parametrize("kw, message", [
    (dict(neuron=LEAK), r"node n \(LIF\): leaks \(tau = 0.02\)"),
    (dict(neuron=nir.CubaLIF(tau_mem=np.ones(4), tau_syn=np.ones(4), r=np.ones(4),
                             v_leak=np.zeros(4), v_threshold=np.ones(4))),
     r"node n \(CubaLIF\): neuron model not supported"),
    (dict(neuron=nir.IF(r=np.ones(4), v_threshold=np.ones(4), v_reset=np.full(4, -1.0))),
     r"node n \(IF\): v_reset -1 is not 0"),
    (dict(pool=nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([3, 3]),
                             padding=np.array([0, 0]))),
     r"node p \(AvgPool2d\): kernel 2, stride 3, padding 0; the contract pools 2x2"),
    (dict(conv=dict(dilation=2)), r"node c \(Conv2d\): dilation 2"),
    (dict(conv=dict(groups=2, weight=np.ones((4, 1, 3, 3)))), r"node c \(Conv2d\): groups = 2"),
    (dict(pool=nir.Delay(delay=np.ones(4))), r"node p \(Delay\): not supported"),
])
def test_foreign_refusals_name_node_and_reason(kw, message):
    with pytest.raises(gnir.NIRError, match=message):
        gnir.read_foreign(_foreign(**kw))


def test_branches_are_refused():
    g = _foreign()
    g.edges.append(("c", "output"))
    with pytest.raises(gnir.NIRError, match=r"node (c \(Conv2d\) has 2 outputs|output \(Output\) "
                                            "has 2 inputs)"):
        gnir.read_foreign(g)


# -- command line ---------------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "golden.nir", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_cli_round_trip(tmp_path):
    nirf, out = tmp_path / "m.nir", tmp_path / "m.json"
    r = _cli("export", "mnist-rate-t4", str(nirf))
    assert r.returncode == 0, r.stderr
    r = _cli("import", str(nirf), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == open(resolve("mnist-rate-t4"), "rb").read()
    r = _cli("import", str(nirf), "--out", str(tmp_path / "x.json"), "--data", "mnist")
    assert r.returncode == 2 and "restored exactly; --data do not apply" in r.stderr


def test_cli_refusals_are_one_line(tmp_path):
    bad = tmp_path / "leak.nir"
    nir.write(str(bad), _foreign(neuron=LEAK))
    out = tmp_path / "o.json"
    r = _cli("import", str(bad), "--out", str(out), "--data", "digits")
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip().splitlines() == [
        "python -m golden.nir: error: node n (LIF): leaks (tau = 0.02); the contract's IF "
        "neurons do not leak"]
    r = _cli("import", str(tmp_path / "absent.nir"), "--out", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "no such file" in \
        r.stderr
    (tmp_path / "junk.nir").write_text("not hdf5")
    r = _cli("import", str(tmp_path / "junk.nir"), "--out", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not a NIR graph" \
        in r.stderr
    r = _cli("export", "no-such-net", str(tmp_path / "n.nir"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    good = tmp_path / "ok.nir"
    nir.write(str(good), _foreign())
    r = _cli("import", str(good), "--out", str(out))
    assert r.returncode == 2 and "foreign graph: give --data NAME" in r.stderr


def test_hardware_flow_needs_neither_torch_nor_nir():
    """The generator and the simulation jobs import neither; nor do the import modules until a
    command runs (so the command lines refuse bad input before torch loads)."""
    code = ("import sys, gen.verilog, verif.run, verif.proc_run, golden.nir, golden.convert, "
            "golden.torch_import; "
            "bad = sorted(m for m in ('torch', 'nir', 'snntorch', 'nirtorch', 'h5py') "
            "if m in sys.modules); print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
