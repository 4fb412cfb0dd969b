"""Drive the Accelerator under Amaranth's simulator and record Observations (the host driver of
``verif.host_driver``, which cocotb runs too)."""

import numpy as np

from rtl.top import Accelerator

from .host_driver import Host
from .simio import run_amaranth, simulate

__all__ = ["run_inference", "simulate"]


def run_inference(config, images, *, ready_prob=1.0, valid_prob=1.0, seed=0, max_cycles=10**7,
                  dut=None, before=None):
    """Run uint8 images through the accelerator, one after another; a list of Observations.

    ``ready_prob``/``valid_prob`` < 1 randomise the host's ready (trace, scores, prediction) and
    the pixel valid with a seeded generator: back-pressure on every host stream. ``before`` is
    an async testbench function of the ``SimulatorContext``, run first in the same simulation
    (e.g. loading memories); cycles are counted from its end.
    """
    dut = dut or Accelerator(config)
    rng = np.random.default_rng(seed)

    async def bench(io):
        if before is not None:
            await before(io.ctx)
        host = Host(io, config, rng)
        return [await host.infer(image, ready_prob=ready_prob, valid_prob=valid_prob,
                                 max_cycles=max_cycles) for image in images]

    return run_amaranth(dut, bench)
