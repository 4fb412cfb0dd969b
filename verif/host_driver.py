"""The host side of the accelerator's streams, written once for both simulators.

``Host`` drives ``pixels`` and ``load`` and monitors ``trace``, ``scores``, ``prediction``,
``phase`` and ``layer`` of an ``rtl.top.Accelerator`` through a ``verif.simio.SimIO``: under
Amaranth's simulator (``verif.amaranth_sim.run_inference``) and under cocotb
(``verif.tb_accel``) it is the same code, so the same seed gives the same host behaviour cycle
for cycle and fills the same simulator-neutral ``verif.scoreboard.Observation``.
"""

import numpy as np

from rtl.config import HardwareConfig
from rtl.layouts import LoadTarget

from .scoreboard import Mismatch, Observation

__all__ = ["Host", "load_items"]


def load_items(config):
    """The ``load`` port writes that install ``config``'s memory images: (core, target, addr,
    data); the shared parameter memory's entry ``(param_base + g) * P + p`` is written as core
    ``p``, address ``param_base + g``."""
    items = []
    for p, image in enumerate(config.weight_images()):
        items += [(p, LoadTarget.WEIGHT, a, v) for a, v in enumerate(image)]
    biases, thresholds = config.param_images()
    for target, image in ((LoadTarget.BIAS, biases), (LoadTarget.THRESHOLD, thresholds)):
        for entry, v in enumerate(image):
            a, p = divmod(entry, config.cores)
            items.append((p, target, a, v))
    return items


class Host:
    """Drivers and monitors of the accelerator's host streams. ``rng`` draws the host's
    valid/ready (back-pressure); ``cycle`` counts the clock cycles the host has spent."""

    def __init__(self, io, config, rng):
        self.io = io
        self.cfg = config
        self.rng = rng
        self.cycle = 0

    async def load(self, net, membrane_bits):
        """Write every weight, bias and threshold of ``net`` (a network of the design's shape)
        through the load port, with random valid; returns its HardwareConfig."""
        io, cfg = self.io, self.cfg
        new = HardwareConfig(net, cores=cfg.cores, membrane_bits=membrane_bits,
                             threshold_bits=cfg.threshold_bits, bias_bits=cfg.bias_bits,
                             trace=cfg.trace)
        items = load_items(new)
        io.set("pixels.valid", 0)
        i = 0
        while i < len(items):
            core, target, addr, value = items[i]
            valid = int(self.rng.random() < 0.8)
            io.set("load.valid", valid)
            io.set("load.payload", {"core": core, "target": target, "addr": addr,
                                    "data": value})
            taken = valid and await io.get("load.ready")
            await io.tick()
            self.cycle += 1
            if taken:
                i += 1
        io.set("load.valid", 0)
        return new

    async def infer(self, image, *, ready_prob=1.0, valid_prob=1.0, max_cycles=10**7):
        """One inference: the pixels with random valid (``valid_prob``), random ready on every
        output stream (``ready_prob``); the Observation (its cycles count from the host's
        first cycle)."""
        io, rng = self.io, self.rng
        trace = self.cfg.trace
        obs = Observation()
        pixels = [int(v) for v in np.asarray(image).ravel()]
        pos = 0
        last = None
        start = self.cycle
        while True:
            rdy = int(rng.random() < ready_prob)
            io.set("scores.ready", rdy)
            pred_ready = int(rng.random() < ready_prob)
            io.set("prediction.ready", pred_ready)
            if trace:
                io.set("trace.ready", rdy)
            more = pos < len(pixels)
            pv = more and rng.random() < valid_prob
            io.set("pixels.valid", int(pv))
            if more:
                io.set("pixels.payload", pixels[pos])
            ph = (await io.get("phase"), await io.get("layer"))
            if ph != last:
                obs.phases.append((self.cycle, ph[0], ph[1]))
                last = ph
            if pv and await io.get("pixels.ready"):
                pos += 1
            if trace and rdy and await io.get("trace.valid"):
                t = await io.get("trace.payload")
                obs.trace.append((t["layer"], t["c"], t["y"], t["x"], t["k"], self.cycle))
            if rdy and await io.get("scores.valid"):
                s = await io.get("scores.payload")
                obs.scores.append((s["cls"], s["score"], self.cycle))
            done = pred_ready and await io.get("prediction.valid")
            if done:
                obs.prediction = await io.get("prediction.payload")
            await io.tick()
            self.cycle += 1
            if done:
                break
            if self.cycle - start > max_cycles:
                raise Mismatch(f"no prediction after {max_cycles} cycles (phase {last})")
        obs.phases.append((self.cycle, 0, 0))
        obs.cycles = self.cycle
        return obs
