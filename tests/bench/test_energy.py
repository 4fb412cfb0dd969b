"""Unit tests of the bench's energy arithmetic and MAC counting (bench/energy.py)."""

import math

import numpy as np
import pytest

from bench import energy as E
from golden import event
from golden import randnet as G


def test_primitive_energies_match_the_cited_table():
    assert E.add_pj(32) == pytest.approx(0.1)
    assert E.add_pj(8) == pytest.approx(0.025)          # Horowitz: 0.03 pJ (linear model)
    assert E.mul_pj(32) == pytest.approx(3.1)
    assert E.mul_pj(8) == pytest.approx(3.1 / 16)       # Horowitz: 0.2 pJ (quadratic model)


@pytest.mark.parametrize("kib, pj", [(8, 10.0), (32, 20.0), (1024, 100.0)])
def test_sram_table_points_64bit(kib, pj):
    assert E.sram_pj(kib * 1024 * 8, 64) == pytest.approx(pj)


def test_sram_width_scaling_and_interpolation():
    size = 32 * 1024 * 8
    assert E.sram_pj(size, 32) == pytest.approx(10.0)
    assert E.sram_pj(size, 5) == pytest.approx(20.0 * 5 / 64)
    # log-log between 8 KB (10 pJ) and 32 KB (20 pJ): 16 KB -> 10 * sqrt(2)
    assert E.sram_pj(16 * 1024 * 8, 64) == pytest.approx(10 * math.sqrt(2))
    # below the smallest point: clamped (conservative); above 1 MB: extrapolated, increasing
    assert E.sram_pj(100 * 8, 64) == pytest.approx(10.0)
    slope = math.log(5) / math.log(32)
    assert E.sram_pj(4 * 1024 * 1024 * 8, 64) == pytest.approx(100 * 4 ** slope)
    sizes = [2 ** k for k in range(10, 30)]
    e = [E.sram_pj(s, 64) for s in sizes]
    assert all(b >= a for a, b in zip(e, e[1:]))


def _mems(w_depth=100, m_depth=16, s_depth=32, width=20):
    return E.analytic_memories(
        [{"out_c": 4, "positions": m_depth, "fan_in": w_depth, "pooled": (4, 2, 2),
          "fires": True},
         {"out_c": 3, "positions": 1, "fan_in": 16, "pooled": (3, 1, 1), "fires": False}],
        P=4, T=4, membrane_bits=width, input_shape=(1, 4, 4), classes=3)


def test_snn_energy_arithmetic():
    mems = _mems()
    counts = {"synops": 1000, "membrane_reads": 1100, "membrane_writes": 1100,
              "weight_reads": 1000, "spike_reads": 50, "spike_writes": 30, "input_events": 20,
              "neurons": 100}
    T, mb, pix = 4, 20, 16
    e = E.snn_energy(counts, mems, T, mb, pix, params_read=12)
    acc = lambda name: E.sram_pj(mems[name]["depth"] * mems[name]["width"],  # noqa: E731
                                 mems[name]["width"])
    assert e["membrane_sram"] == pytest.approx(2200 * acc("membrane"))
    assert e["weight_sram"] == pytest.approx(1000 * acc("weights"))
    assert e["spike_buffer_sram"] == pytest.approx((30 + 20 + 50) * acc("spike_buffer"))
    assert e["bias_threshold_sram"] == pytest.approx(12 * acc("params"))
    assert e["accumulate"] == pytest.approx(1000 * 0.1 * 20 / 32)
    assert e["fire"] == pytest.approx(100 * (0.1 * 20 / 32 + 4 * 0.1 * 22 / 32))
    assert e["input_encoder"] == pytest.approx(16 * 4 * 0.1 * 10 / 32)
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))
    # small memories are charged at the 8 KB point: 10 pJ per 64 bits
    assert acc("membrane") == pytest.approx(10 * 20 / 64)


def test_ann_energy():
    assert E.ann_energy(1000) == pytest.approx(1000 * (3.1 / 16 + 0.1))


def _random_net(seed, **kw):
    rng = np.random.default_rng(seed)
    spec = [G.conv(4, kernel=3, padding=0), G.conv(6, kernel=3, stride=2, padding=1),
            G.dense_layer(7), G.classifier(5)]
    return G.random_network(rng, (2, 9, 9), spec, **kw)


def test_mac_counting_random_network():
    net = _random_net(1)
    # conv 2->4, k3 p0 on 9x9 -> 7x7; conv 4->6 k3 s2 p1 on 7x7 -> 4x4; dense 96->7; 7->5
    want = [2 * 9 * 7 * 7 * 4, 4 * 9 * 4 * 4 * 6, 96 * 7, 7 * 5]
    assert [E.layer_macs(l) for l in net.layers] == want
    assert E.ann_macs(net) == sum(want)
    # brute force: one MAC per (output neuron, weight) pair, padding included
    brute = 0
    for l in net.layers:
        brute += int(np.prod(l.out_shape)) * int(np.prod(l.weights.shape[1:]))
    assert brute == E.ann_macs(net)


def test_macs_equal_event_synops_when_every_input_spikes():
    """Without padding, an all-255 image makes every input pixel spike once, so the first
    layer's synaptic operations (event model) equal its dense MACs."""
    net = _random_net(2)
    img = np.full(net.input_shape, 255, dtype=np.uint8)
    tr = event.run(net, img)
    assert tr.layers[0].counts["events_in"] == net.input_neurons
    assert tr.layers[0].counts["synops"] == E.layer_macs(net.layers[0])


@pytest.mark.parametrize("seed", range(3))
def test_analytic_memories_equal_manifest(seed):
    from rtl.config import HardwareConfig
    rng = np.random.default_rng(seed)
    net = G.random_network(rng, (1, 8, 8), [G.conv(5), G.pool(), G.conv(7), G.pool(),
                                            G.classifier(4)], T=int(rng.integers(2, 9)))
    for P in (1, 3, 8):
        cfg = HardwareConfig(net, cores=P)
        man = cfg.manifest()["memories"]
        assert E.analytic_memories(E.net_geoms(net), P, net.T, net.membrane_bits,
                                   net.input_shape, net.classes,
                                   param_bits=2 * max(cfg.threshold_bits, cfg.bias_bits)) == man
        assert E.memories_of(net, P) == man


def test_vgg16_geometry_and_work():
    layers = E.vgg16_cifar10(1.0, 1.0)
    assert sum(l["kind"] == "conv2d" for l in layers) == 13
    assert sum(l["kind"] != "conv2d" for l in layers) == 3
    assert layers[0]["macs"] == 3 * 9 * 32 * 32 * 64
    assert layers[-1]["macs"] == 4096 * 10
    # every input spiking: in-bounds synops of conv1 = MACs minus the padded products
    assert layers[0]["counts"]["synops"] == pytest.approx(3 * (3 * 32 - 2) ** 2 * 64)
    assert layers[0]["counts"]["synops"] < layers[0]["macs"]
    assert len(E.vgg16_firing(0.1, 0.2)) == 15
    lo, hi = E.vgg16_energy(0.05), E.vgg16_energy(0.2)
    assert 0 < lo["total_uj_45nm"] < hi["total_uj_45nm"]
    assert hi["total_uj_28nm"] == pytest.approx(hi["total_uj_45nm"] * 28 / 45)
    assert lo["macs"] == sum(l["macs"] for l in layers)
