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


# -- the processor model at 28 nm ----------------------------------------------------------------

def test_sram28_table_points_and_interpolation():
    r, w = E.CACTI_28NM[(4096, 8)]
    assert E.sram28_pj(512, 64, "read") == pytest.approx(r)      # 4 KB of 64-bit words
    assert E.sram28_pj(512, 64, "write") == pytest.approx(w)
    # log-log between two table sizes: the geometric mean at the geometric mean size
    (r0, _), (r1, _) = E.CACTI_28NM[(4096, 4)], E.CACTI_28NM[(8192, 4)]
    depth = int(round(math.sqrt(4096 * 8192) / 4))
    assert E.sram28_pj(depth, 32) == pytest.approx(math.sqrt(r0 * r1), rel=1e-3)
    # linear in the word width between two table widths: 1024 words of 40 bits (5120 bytes)
    def at(block):
        e0, e1 = E.CACTI_28NM[(4096, block)][0], E.CACTI_28NM[(8192, block)][0]
        return math.exp(np.interp(math.log(5120), [math.log(4096), math.log(8192)],
                                  [math.log(e0), math.log(e1)]))
    assert E.sram28_pj(1024, 40) == pytest.approx(at(4) + (at(8) - at(4)) * (5 - 4) / (8 - 4))
    # a 5-bit word is charged as an 8-bit one of the same depth
    assert E.sram28_pj(8192, 5) == pytest.approx(E.sram28_pj(8192 * 5 // 8, 8))


def test_sram28_small_memories_are_registers():
    # fewer than 16 words: flip-flops, 0.009 pJ/bit at 40 nm scaled by 28/40
    assert E.sram28_pj(8, 64) == pytest.approx(64 * 0.009 * 28 / 40)
    assert E.register_pj(35) == pytest.approx(35 * 0.009 * 0.7)
    assert E.sram28_pj(8, 64, "write") == E.sram28_pj(8, 64, "read")


def test_sram28_rejects_unknown_operation():
    with pytest.raises(KeyError):
        E.sram28_pj(1024, 32, "erase")


def test_external_memory_energy():
    lo, hi = E.external_uj(1_000_000)
    assert lo == pytest.approx(8e6 * 1300 / 64 * 1e-6)
    assert hi == pytest.approx(2 * lo)


def _processor_net(seed):
    rng = np.random.default_rng(seed)
    return G.random_network(rng, (2, 8, 8), [G.conv(6), G.pool(), G.conv(5, padding=0),
                                             G.dense_layer(7), G.classifier(3)], T=8)


def _cap(net, P=4):
    from golden import capacity as C
    need = C.requirements([net], P)
    return C.with_changes(C.preset("vgg16"), cores=P, membrane_words=64, weight_words=64,
                          param_words=1, spike_events=C.pow2_ceil(need["spike_events"]))


def test_processor_counts_equal_the_event_model():
    """Every count the dataflows use, checked against golden.event and brute force."""
    from golden import capacity as C
    net = _processor_net(3)
    cap = _cap(net)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3,) + net.input_shape, dtype=np.uint8)
    got = E.processor_counts(net, cap, images)
    traces = [event.run(net, img) for img in images]
    plans = C.plan(net, cap)
    assert any(p.passes > 1 for p in plans)
    assert got["input_events"] == pytest.approx(np.mean([len(t.input_events) for t in traces]))
    for i, (row, layer, p) in enumerate(zip(got["layers"], net.layers, plans)):
        co = layer.out_channels if layer.kind == "conv2d" else layer.out_shape[0]
        def mean(k, i=i):
            return np.mean([t.layers[i].counts[k] for t in traces])
        assert row["events_in"] == pytest.approx(mean("events_in"))
        assert row["synops"] == pytest.approx(mean("synops"))
        assert row["lane_synops"] == pytest.approx(mean("synops") / co * p.groups * 4)
        assert row["events_out"] == pytest.approx(mean("events_out"))
        assert (row["groups"], row["passes"]) == (p.groups, p.passes)
        # window hits by brute force: (output position, input channel) pairs whose window
        # holds an input event, times the lanes
        hits = []
        for t in traces:
            ev = t.input_events if i == 0 else t.layers[i - 1].events
            spk = np.zeros(int(np.prod(layer.in_map)), dtype=bool)
            spk[ev[:, 0]] = True
            if layer.kind != "conv2d":
                hits.append(spk.sum())
                continue
            c_in, h, w = layer.in_map
            spk = spk.reshape(c_in, h, w)
            _, ho, wo = layer.out_shape
            K, s, pad = layer.kernel, layer.stride, layer.padding
            n = 0
            for c in range(c_in):
                for oy in range(ho):
                    for ox in range(wo):
                        n += any(spk[c, y, x] for y in range(oy * s - pad, oy * s - pad + K)
                                 for x in range(ox * s - pad, ox * s - pad + K)
                                 if 0 <= y < h and 0 <= x < w)
            hits.append(n)
        assert row["window_hits"] == pytest.approx(np.mean(hits) * p.groups * 4)


def test_processor_energy_arithmetic():
    net = _processor_net(4)
    cap = _cap(net)
    images = np.random.default_rng(1).integers(0, 256, (2,) + net.input_shape, dtype=np.uint8)
    counts = E.processor_counts(net, cap, images)
    L = counts["layers"]
    syn = sum(l["lane_synops"] for l in L)
    neurons = sum(l["lane_neurons"] for l in L)
    ref = E.processor_energy(counts, cap, "reference", net.T)
    m = ref["memories"]["membrane"]
    assert (m["depth"], m["width"]) == (cap.membrane_words, cap.membrane_bits)
    e = ref["energy_pj"]
    assert e["membrane"] == pytest.approx((syn + neurons) * (m["read_pj"] + m["write_pj"]))
    w = ref["memories"]["weights"]
    assert e["weights"] == pytest.approx(sum(l["weight_words"] for l in L) * w["write_pj"]
                                         + syn * w["read_pj"])
    assert e["accumulate"] == pytest.approx(syn * 0.1 * cap.membrane_bits / 32 * 28 / 45)
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))
    kw = E.processor_energy(counts, cap, "kernel_window", net.T)
    assert kw["memories"]["membrane"]["depth"] == -(-cap.membrane_words // 9)
    assert kw["memories"]["weights"]["width"] == 9 * 5
    os_ = E.processor_energy(counts, cap, "output_stationary", net.T)
    assert "membrane" not in os_["energy_pj"] and "membrane" not in os_["memories"]
    assert os_["energy_pj"]["accumulator_registers"] == pytest.approx(
        syn * 2 * E.register_pj(cap.membrane_bits))
    with pytest.raises(ValueError, match="dataflow"):
        E.processor_energy(counts, cap, "weight_stationary", net.T)
