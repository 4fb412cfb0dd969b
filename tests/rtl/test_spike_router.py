"""SpikeRouter on conv geometries and dense layers, with random back-pressure: the exact
sequence of operation bundles (order oy, ox, g) against the fan-out of golden.event
(``verif.benches.spike_router``, the body cocotb runs too)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden import randnet as R
from rtl.config import HardwareConfig
from verif.benches import BENCHES, random_events, router_bundles, spike_router_component
from verif.simio import run_amaranth

BENCH = BENCHES["spike_router"]


def run_router(cfg, layer, events, seed):
    """The bundles of ``events`` on layer ``layer`` of ``cfg``, checked; the bench's stats."""
    params = {"seed": seed, "config": cfg, "layers": [(layer, events)]}
    return run_amaranth(spike_router_component(cfg), BENCH.body, params)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 2), st.integers(0, 2), st.integers(1, 8),
       st.integers(0, 2**31))
def test_conv_fanout(K, s, p, P, seed):
    p = min(p, K - 1)
    rng = np.random.default_rng(seed)
    net = R.random_network(rng, (2, 7, 7), [R.conv(int(rng.integers(1, 7)), K, s, p),
                                            R.classifier(3)], T=4, calib_images=1)
    cfg = HardwareConfig(net, cores=P)
    # (0, 0) reaches output (0, 0) whatever the stride and padding (p < K), so the test never
    # compares two empty lists; the random events may all miss (K = 1, stride 2, odd y and x)
    events = [(0, 0, 0, int(rng.integers(0, 4)))] + random_events(rng, cfg.layers[0], 12, 4)
    want = sum(len(router_bundles(cfg.layers[0], e)) for e in events)
    assert want and run_router(cfg, 0, events, seed)["bundles"] == want


@pytest.mark.parametrize("P", [1, 3, 4])
def test_dense_fanout(P):
    rng = np.random.default_rng(P)
    net = R.random_network(rng, (2, 4, 4), [R.conv(3), R.pool(), R.dense_layer(10),
                                            R.classifier(3)], T=4, calib_images=1)
    cfg = HardwareConfig(net, cores=P)
    events = random_events(rng, cfg.layers[1], 10, 4)
    assert run_router(cfg, 1, events, P)["bundles"] == 10 * cfg.layers[1].groups


@pytest.mark.parametrize("seed", [0, 1])
def test_random_geometries_on_one_router(seed):
    """The cocotb case: 24 random layers (conv and dense) on one router built for all."""
    comp, params = BENCH.build(seed)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["events"] == sum(len(ev) for _, ev in params["layers"])


@pytest.mark.parametrize("seed", [0, 1])
def test_runtime_mode_on_random_geometries(seed):
    """The processor's run-time mode (products by descriptor fields, no layer table): the same
    24 random layers, each only through its descriptor, give the same exact bundles."""
    comp, params = BENCH.build(seed, runtime=True)
    assert comp.runtime and "layer" not in comp.signature.members
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["events"] == sum(len(ev) for _, ev in params["layers"])

