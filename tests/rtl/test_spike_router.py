"""SpikeRouter on random conv geometries and dense layers, with random back-pressure: the exact
sequence of operation bundles (order oy, ox, g) against the fan-out formulas."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden import randnet as R
from golden.event import fanout_range
from rtl.config import HardwareConfig
from rtl.layouts import descriptor_layout, descriptor_value, event_layout, op_layout
from rtl.spike_router import SpikeRouter
from verif.amaranth_sim import simulate


def expected_bundles(d, events):
    out = []
    for c, y, x, k in events:
        if d.kind == 0:
            y0, y1 = fanout_range(y, d.padding, d.kernel, d.stride, d.out_h)
            x0, x1 = fanout_range(x, d.padding, d.kernel, d.stride, d.out_w)
            for oy in range(y0, y1 + 1):
                for ox in range(x0, x1 + 1):
                    ky, kx = y + d.padding - oy * d.stride, x + d.padding - ox * d.stride
                    for g in range(d.groups):
                        out.append((d.weight_base + g * d.fan_in + (c * d.kernel + ky) * d.kernel
                                    + kx, g * d.positions + oy * d.out_w + ox, k))
        else:
            i = (c * d.in_h + y) * d.in_w + x  # in_h, in_w: the map before flattening
            out += [(d.weight_base + g * d.fan_in + i, g, k) for g in range(d.groups)]
    return out


def run_router(cfg, layer, events, seed):
    d = cfg.layers[layer]
    ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                    time_bits=cfg.k_bits)
    dut = SpikeRouter(cfg, event_layout(cfg), ops, descriptor_layout(cfg))
    rng = np.random.default_rng(seed)
    got = []

    async def source(ctx):
        ctx.set(dut.desc, descriptor_value(cfg, d))
        ctx.set(dut.layer, layer)
        for c, y, x, k in events:
            ctx.set(dut.events.valid, 0)
            while rng.random() < 0.3:
                await ctx.tick()
            ctx.set(dut.events.valid, 1)
            ctx.set(dut.events.payload, {"c": c, "y": y, "x": x, "k": k})
            await ctx.tick().until(dut.events.ready)
        ctx.set(dut.events.valid, 0)

    async def sink(ctx):
        idle = 0
        while idle < 20:
            ready = int(rng.random() < 0.6)
            ctx.set(dut.ops.ready, ready)
            await ctx.delay(1e-9)
            if ctx.get(dut.ops.valid) and ready:
                p = ctx.get(dut.ops.payload)
                got.append((p.waddr, p.maddr, p.k))
            idle = idle + 1 if ctx.get(dut.idle) else 0
            await ctx.tick()

    simulate(dut, source, sink)
    return got


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
    events = [(0, 0, 0, int(rng.integers(0, 4)))] + [
        (int(rng.integers(0, 2)), int(rng.integers(0, 7)), int(rng.integers(0, 7)),
         int(rng.integers(0, 4))) for _ in range(12)]
    want = expected_bundles(cfg.layers[0], events)
    assert want and run_router(cfg, 0, events, seed) == want


@pytest.mark.parametrize("P", [1, 3, 4])
def test_dense_fanout(P):
    rng = np.random.default_rng(P)
    net = R.random_network(rng, (2, 4, 4), [R.conv(3), R.pool(), R.dense_layer(10),
                                            R.classifier(3)], T=4, calib_images=1)
    cfg = HardwareConfig(net, cores=P)
    events = [(int(rng.integers(0, 3)), int(rng.integers(0, 2)), int(rng.integers(0, 2)),
               int(rng.integers(0, 4))) for _ in range(10)]
    want = expected_bundles(cfg.layers[1], events)
    assert len(want) == 10 * cfg.layers[1].groups
    assert run_router(cfg, 1, events, P) == want
