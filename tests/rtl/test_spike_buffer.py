"""SpikeBuffer: random writes, read-out with random back-pressure, clear and reuse."""

import numpy as np

from golden import randnet as R
from rtl.config import HardwareConfig
from rtl.layouts import event_layout
from rtl.spike_buffer import SpikeBuffer
from verif.amaranth_sim import simulate


def test_write_read_clear():
    net = R.random_network(np.random.default_rng(0), (2, 6, 6), [R.conv(3), R.classifier(2)],
                           T=8, calib_images=1)
    cfg = HardwareConfig(net, cores=2)
    dut = SpikeBuffer(event_layout(cfg), depth=40)
    rng = np.random.default_rng(1)
    rounds = [[(int(rng.integers(0, 3)), int(rng.integers(0, 6)), int(rng.integers(0, 6)),
                int(rng.integers(0, 8))) for _ in range(n)] for n in (40, 0, 17)]

    async def bench(ctx):
        for events in rounds:
            ctx.set(dut.clear, 1)
            await ctx.tick()
            ctx.set(dut.clear, 0)
            for ev in events:
                ctx.set(dut.write.valid, int(rng.random() < 0.7))
                while not ctx.get(dut.write.valid):
                    await ctx.tick()
                    ctx.set(dut.write.valid, int(rng.random() < 0.7))
                ctx.set(dut.write.payload, dict(zip("cyxk", ev)))
                await ctx.tick()
            ctx.set(dut.write.valid, 0)
            assert ctx.get(dut.count) == len(events)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            got = []
            for _ in range(10 * len(events) + 10):
                ready = int(rng.random() < 0.5)
                ctx.set(dut.read.ready, ready)
                await ctx.delay(1e-9)
                if ctx.get(dut.read.valid) and ready:
                    p = ctx.get(dut.read.payload)
                    got.append((p.c, p.y, p.x, p.k))
                await ctx.tick()
                if ctx.get(dut.done):
                    break
            assert ctx.get(dut.done)
            assert got == events

    simulate(dut, bench)
