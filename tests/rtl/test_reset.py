"""A reset asserted at any point of an inference: the next inference equals the golden model
(events, scores, prediction and the cycle model's phase counts)."""

import numpy as np
from amaranth.hdl import ClockDomain, Elaboratable, Module

from golden import data, network
from golden import randnet as R
from rtl.config import HardwareConfig
from rtl.layouts import Phase
from rtl.top import Accelerator
from verif import scoreboard as sb
from verif.amaranth_sim import run_inference


class _ResetHarness(Elaboratable):
    """The accelerator in a ``sync`` domain of its own, so that a testbench can drive its
    ``rst``; the accelerator's ports are reached through the harness (``harness.pixels``)."""

    def __init__(self, accelerator):
        self.__dict__.update(accelerator=accelerator, domain=ClockDomain("sync"))

    def __getattr__(self, name):
        return getattr(self.accelerator, name)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = self.domain
        m.submodules.accelerator = self.accelerator
        return m


def _interrupted(dut, config, image, *, at, hold):
    """A ``run_inference`` ``before`` function: stream ``image`` with every host ready high,
    assert ``rst`` at cycle ``at`` for ``hold`` cycles, then release it."""
    async def before(ctx):
        for ready in (dut.scores.ready, dut.prediction.ready) + \
                ((dut.trace.ready,) if config.trace else ()):
            ctx.set(ready, 1)
        pixels = [int(v) for v in np.asarray(image).ravel()]
        for _ in range(at):
            ctx.set(dut.pixels.valid, int(bool(pixels)))
            if pixels:
                ctx.set(dut.pixels.payload, pixels[0])
            await ctx.delay(0)
            if pixels and ctx.get(dut.pixels.ready):
                pixels.pop(0)
            await ctx.tick()
        ctx.set(dut.pixels.valid, 0)
        ctx.set(dut.domain.rst, 1)
        for _ in range(hold):
            await ctx.tick()  # (a single tick does not raise DomainReset)
        ctx.set(dut.domain.rst, 0)
    return before


def _after_reset(config, first, second, *, at, hold):
    """The Observation of ``second`` after ``first`` was cut by a reset at cycle ``at``."""
    dut = _ResetHarness(Accelerator(config))
    before = _interrupted(dut, config, first, at=at, hold=hold)
    return run_inference(config, [second], dut=dut, before=before)[0]


def _segments(obs):
    """(phase, layer, first cycle, last cycle) of every phase of an observed inference."""
    ph = obs.phases
    return [(Phase(p), layer, c, nxt[0] - 1) for (c, p, layer), nxt in zip(ph, ph[1:])
            if nxt[0] > c]


def test_reset_in_every_phase():
    P = 3  # one lane of the last group idle
    net = R.random_network(np.random.default_rng(11), (2, 6, 6),
                           [R.conv(3), R.pool(), R.conv(4), R.dense_layer(5), R.classifier(3)],
                           T=4)
    cfg = HardwareConfig(net, cores=P)
    rng = np.random.default_rng(P)
    first, second = R.random_images(rng, net.input_shape, 2, density=0.9)
    timeline = _segments(run_inference(cfg, [first])[0])
    seen = set()
    for phase, layer, lo, hi in timeline:
        at = int(rng.integers(lo, hi + 1))
        hold = int(rng.integers(1, 5))
        obs = _after_reset(cfg, first, second, at=at, hold=hold)
        try:
            sb.check(sb.expect(cfg, second), obs, cycles=True)
        except sb.Mismatch as exc:
            raise sb.Mismatch(f"reset at cycle {at} ({phase.name}, layer {layer}) for {hold} "
                              f"cycles: {exc}") from None
        seen.add((phase, layer))
    layers = range(len(net.layers))
    want = {(Phase.CLEAR, 0), (Phase.IDLE, 0), (Phase.INPUT, 0), (Phase.PREDICT, layers[-1])}
    want |= {(p, l) for p in (Phase.INTEGRATE, Phase.FIRE) for l in layers}
    assert want <= seen, sorted(want - seen)


def test_reset_in_layer0_integrate_on_digits():
    """The case found by an outside integrator: held-out digits image 3, a 3-cycle reset in
    layer 0's integrate phase (it predicted 5 instead of 9, every score wrong)."""
    cfg = HardwareConfig(network.load("digits"), cores=8)
    x, _ = data.load("digits", "heldout")
    timeline = _segments(run_inference(cfg, [x[3]])[0])
    lo, hi = next((lo, hi) for phase, layer, lo, hi in timeline
                  if (phase, layer) == (Phase.INTEGRATE, 0))
    obs = _after_reset(cfg, x[3], x[3], at=(lo + hi) // 2, hold=3)
    sb.check(sb.expect(cfg, x[3]), obs, cycles=True)
