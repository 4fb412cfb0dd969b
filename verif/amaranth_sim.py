"""Drive the Accelerator under Amaranth's simulator and record an Observation."""

import numpy as np
from amaranth.sim import Simulator

from rtl.top import Accelerator

from .scoreboard import Observation

__all__ = ["run_inference", "simulate"]


def run_inference(config, images, *, ready_prob=1.0, valid_prob=1.0, seed=0, max_cycles=10**7,
                  dut=None, before=None):
    """Run uint8 images through the accelerator, one after another; a list of Observations.

    ``ready_prob``/``valid_prob`` < 1 randomise the host's ready (trace, scores, prediction) and
    the pixel valid with a seeded generator: back-pressure on every host stream. ``before`` is
    an async testbench function run first in the same simulation (e.g. loading memories).
    """
    dut = dut or Accelerator(config)
    rng = np.random.default_rng(seed)
    results = []

    async def bench(ctx):
        if before is not None:
            await before(ctx)
        cycle = 0
        for image in images:
            obs = Observation()
            pixels = [int(v) for v in np.asarray(image).ravel()]
            last = None
            while True:
                rdy = int(rng.random() < ready_prob)
                ctx.set(dut.scores.ready, rdy)
                ctx.set(dut.prediction.ready, int(rng.random() < ready_prob))
                if config.trace:
                    ctx.set(dut.trace.ready, rdy)
                pv = bool(pixels) and rng.random() < valid_prob
                ctx.set(dut.pixels.valid, int(pv))
                if pixels:
                    ctx.set(dut.pixels.payload, pixels[0])
                await ctx.delay(0)
                ph = (ctx.get(dut.phase), ctx.get(dut.layer))
                if ph != last:
                    obs.phases.append((cycle, ph[0], ph[1]))
                    last = ph
                if pv and ctx.get(dut.pixels.ready):
                    pixels.pop(0)
                if config.trace and ctx.get(dut.trace.valid) and rdy:
                    t = ctx.get(dut.trace.payload)
                    obs.trace.append((t.layer, t.c, t.y, t.x, t.k, cycle))
                if ctx.get(dut.scores.valid) and rdy:
                    s = ctx.get(dut.scores.payload)
                    obs.scores.append((s.cls, s.score, cycle))
                done = ctx.get(dut.prediction.valid) and ctx.get(dut.prediction.ready)
                if done:
                    obs.prediction = ctx.get(dut.prediction.payload)
                await ctx.tick()
                cycle += 1
                if done:
                    break
                if cycle > max_cycles:
                    raise TimeoutError(f"no prediction after {max_cycles} cycles")
            obs.phases.append((cycle, 0, 0))
            obs.cycles = cycle
            results.append(obs)

    simulate(dut, bench)
    return results


def simulate(dut, *testbenches, processes=(), vcd=None):
    """Run async testbenches (and background processes) on ``dut``, with a 100 MHz clock when it
    has synchronous logic."""
    sim = Simulator(dut)
    try:
        sim.add_clock(1e-8)
    except NameError:  # purely combinational
        pass
    for tb in testbenches:
        sim.add_testbench(tb)
    for p in processes:
        sim.add_process(p)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
