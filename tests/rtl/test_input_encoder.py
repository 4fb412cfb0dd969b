"""InputEncoder: every pixel value, with random valid and ready, against contract.encode_input."""

import numpy as np
import pytest

from golden import contract, randnet as R
from rtl.config import HardwareConfig
from rtl.layouts import event_layout
from rtl.input_encoder import InputEncoder
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("T,rule", [(8, "round"), (3, "floor"), (1, "round")])
def test_all_pixel_values(T, rule):
    shape = (4, 8, 8)  # 256 pixels: every value once
    net = R.random_network(np.random.default_rng(0), shape, [R.conv(2), R.classifier(2)], T=T,
                           fire_rule=rule, calib_images=1)
    cfg = HardwareConfig(net, cores=1)
    dut = InputEncoder(event_layout(cfg), shape=shape, steps=T, rule=rule)
    rng = np.random.default_rng(T)
    pixels = rng.permutation(256)
    k = contract.encode_input(pixels, T, "ttfs", rule)
    want = [(i // 64, i // 8 % 8, i % 8, int(k[i])) for i in range(256) if k[i] < T]
    got = []

    async def source(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for v in pixels:
            ctx.set(dut.pixels.valid, 0)
            while rng.random() < 0.3:
                await ctx.tick()
            ctx.set(dut.pixels.valid, 1)
            ctx.set(dut.pixels.payload, int(v))
            await ctx.tick().until(dut.pixels.ready)
        ctx.set(dut.pixels.valid, 0)

    async def sink(ctx):
        for _ in range(2000):
            ready = int(rng.random() < 0.6)
            ctx.set(dut.events.ready, ready)
            await ctx.delay(1e-9)
            if ctx.get(dut.events.valid) and ready:
                p = ctx.get(dut.events.payload)
                got.append((p.c, p.y, p.x, p.k))
            await ctx.tick()

    simulate(dut, source, sink)
    assert got == want
