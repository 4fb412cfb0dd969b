"""The coding comparison's work counts and cycles equal the event-driven model's."""

import numpy as np
import pytest

from bench import coding as C
from bench import energy as E
from golden import cycles, dense, event, timestep
from golden import randnet as R

KEYS = ("synops", "membrane_reads", "membrane_writes", "weight_reads", "spike_reads",
        "spike_writes", "input_events", "neurons")


def random_net(coding, seed):
    rng = np.random.default_rng(seed)
    spec = [R.conv(3, 3, 1, 1), R.pool(), R.conv(4, 3, 1, 1), R.pool(), R.dense_layer(5),
            R.classifier(3)]
    net = R.random_network(rng, (1, 8, 8), spec, coding=coding, T=int(rng.integers(2, 6)))
    return net, R.random_images(rng, net.input_shape, 3)


@pytest.mark.parametrize("coding", ["ttfs", "rate"])
@pytest.mark.parametrize("seed", range(3))
def test_layer_sequential_counts_equal_the_event_model(coding, seed):
    net, images = random_net(coding, seed)
    x, res = dense.run(net, images)
    ins = [x] + [r.pooled for r in res[:-1]]
    if coding == "ttfs":
        ins = [(a < net.T).astype(np.int64) for a in ins]
    ev, syn = timestep.layer_work(net, ins)
    for i, img in enumerate(images):
        got = C.layer_sequential_counts(net, ev[i], syn[i])
        want = event.run(net, img).counts
        assert {k: got[k] for k in KEYS} == {k: want[k] for k in KEYS}


@pytest.mark.parametrize("seed", range(3))
def test_ttfs_cycles_equal_the_cycle_model_on_event_traces(seed):
    net, images = random_net("ttfs", seed)
    want = np.mean([sum(c.total for c in cycles.network_cycles(net, event.run(net, img), 4))
                    for img in images])
    assert C.ttfs_cycles(net, images, 4) == pytest.approx(want, abs=0)


def test_timestepped_schedule_counts_and_memories():
    net, _ = random_net("rate", 1)
    ev, syn = [10.0, 4.0, 3.0, 2.0], [90.0, 40.0, 30.0, 6.0]
    seq = C.layer_sequential_counts(net, ev, syn)
    ts = C.timestepped_counts(net, ev, syn, net.T)
    neurons = sum(l.neurons for l in net.layers)
    assert ts["neurons"] == net.T * neurons == net.T * seq["neurons"]
    assert ts["membrane_reads"] == ts["membrane_writes"] == 166 + net.T * neurons
    assert ts["spike_writes"] == seq["spike_writes"] == 9 and ts["input_events"] == 10
    mems = C.timestepped_memories(net, P=2)
    groups = [-(-l.out_channels // 2) for l in net.layers]
    assert mems["membrane"]["depth"] == sum(g * l.positions for g, l in zip(groups, net.layers))
    ref = E.analytic_memories(E.net_geoms(net), 2, net.T, net.membrane_bits, net.input_shape,
                              net.classes, "ttfs")
    assert mems["spike_buffer"] == ref["spike_buffer"]
    assert mems["membrane"]["depth"] > ref["membrane"]["depth"]


def test_markdown_rows():
    res = {"P": 8, "assumptions": ["a"], "notes": ["n"],
           "bases": {"mnist": {"images": 7, "cycle_images": 5, "rate_cycle_images": 3, "rows": [
               {"scheme": "ttfs", "T": 2, "net": "mnist-ttfs-t2", "acc": 0.5, "spikes": 3.0,
                "synops": 9.0, "cycles": 100.0, "energy": {"nj_45nm": 1.0, "nj_28nm": 0.6}},
               {"scheme": "rate", "T": 2, "net": "mnist-rate-t2", "missing": True},
               {"scheme": "timestepped-encoder", "T": 2, "net": "x", "acc": 0.25, "gap": -0.25,
                "pred_differs": 0.5, "spikes": 2.0, "synops": 4.0, "cycles": None,
                "energy": None}]}}}
    text = "\n".join(C.markdown(res, "## X"))
    assert "| 2 | TTFS | `mnist-ttfs-t2` | 50.00 | - | - | 3.0 | 9 | 100 | 1.0 | 0.6 |" in text
    assert "`mnist-rate-t2` not in nets/" in text
    assert "| -25.00 | 50.00 |" in text and "no RTL" in text
    assert "Unevenness gap of mnist (time-stepped with encoder input minus count scheme, " \
        "points): T=2: -25.00." in text
    assert "Not measured" in "\n".join(C.markdown(None, "## X"))
