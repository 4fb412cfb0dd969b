"""The formal checks of the project: what each proves, its mode and depth, and how to run it.

``CHECKS`` lists them; ``ci`` marks the ones ``make test`` runs (``tests/formal``), the others
run in ``make formal`` (``python -m verif.formal``), which runs them all. See docs/formal.md.
"""

import functools
from dataclasses import dataclass

import numpy as np
from amaranth.back import rtlil

from golden import randnet
from golden.network import load as load_network
from rtl.config import HardwareConfig

from .accelerator import AcceleratorHarness
from .components import EmitterHarness, EncoderHarness, SequencerHarness
from .membrane import MembraneHarness, layer_limits
from .sby import Job, run

__all__ = ["Check", "CHECKS", "by_name", "tiny_network", "membrane_harness", "rtlil_job",
           "accelerator_job", "run_check", "TTFS_NETS"]

#: the shipped TTFS networks (nets/*.json that the RTL generator accepts)
TTFS_NETS = ("digits", "mnist", "digits-floor", "digits-ttfs-t2", "digits-ttfs-t4",
             "digits-ttfs-t6", "mnist-ttfs-t2", "mnist-ttfs-t4", "mnist-ttfs-t6")


@dataclass(frozen=True)
class Check:
    """One formal check. ``build`` returns (files, yosys reads, top module)."""
    name: str
    proves: str
    mode: str
    depth: int
    build: object
    ci: bool = True
    timeout: int = 600

    def job(self):
        files, reads, top = self.build()
        return Job(name=self.name, mode=self.mode, depth=self.depth, files=files,
                   reads=tuple(reads), top=top)


def rtlil_job(harness, ports=(), extra=()):
    """Files and reads of an Amaranth harness converted to RTLIL (top module ``harness``)."""
    il = rtlil.convert(harness, name="harness", ports=list(ports))
    return {"harness.il": il}, ["read_rtlil harness.il", *extra], "harness"


def accelerator_job(harness):
    """The accelerator's emitted Verilog and the harness's RTLIL around it."""
    il = rtlil.convert(harness, name="harness", ports=[])
    files = {f"{harness.module}.v": harness.verilog, "harness.il": il}
    return files, [f"read -formal {harness.module}.v", "read_rtlil harness.il"], "harness"


@functools.cache
def tiny_network():
    """A seeded random network small enough for a deep bounded check: a 1x2x2 image, a 2x2
    convolution with 2 channels, a 2-class classifier, T = 2."""
    return randnet.random_network(np.random.default_rng(10), (1, 2, 2),
                                  [randnet.conv(2, kernel=2, padding=0), randnet.classifier(2)],
                                  T=2, name="formal_tiny")


def _network(name):
    return tiny_network() if name == "tiny" else load_network(name)


def membrane_harness(net, *, narrower=0, adder="carry"):
    """The membrane harness at the widths the generator gives ``net`` (``narrower`` bits less,
    for a test that must fail) with the membrane adder ``adder``."""
    cfg = HardwareConfig(net, cores=1, adder=adder)
    return MembraneHarness(limits=layer_limits(net), membrane_bits=cfg.membrane_bits - narrower,
                           frac_bits=cfg.F, steps=cfg.T, rule=cfg.fire_rule,
                           bias_bits=cfg.bias_bits, threshold_bits=cfg.threshold_bits,
                           adder=cfg.adder)


def _membrane(name, adder="carry"):
    h = membrane_harness(_network(name), adder=adder)
    return rtlil_job(h, h.ports(), h.probe_script())


def _accelerator(name, cores, loads):
    cfg = HardwareConfig(_network(name), cores=cores)
    return accelerator_job(AcceleratorHarness(cfg, loads=loads))


def _membrane_check(net, ci, adder="carry"):
    suffix = "" if adder == "carry" else f"_{adder}"
    return Check(f"membrane_{net}{suffix}".replace("-", "_"),
                 f"{net}: a neuron core ({adder} adder) at the network's membrane width, F and T "
                 "never wraps (every layer's fan-in and |B|)", "prove", 8,
                 functools.partial(_membrane, net, adder), ci=ci, timeout=900)


CHECKS = [
    Check("emitter_stream",
          "SpikeEmitter.out (scores, fire-phase trace) keeps the stream rules and stalls the "
          "fire pipeline while an offer waits", "prove", 4,
          lambda: rtlil_job(EmitterHarness())),
    Check("encoder_stream",
          "InputEncoder.events (input-phase trace) keeps the stream rules; no pixel is taken "
          "after the image", "prove", 4, lambda: rtlil_job(EncoderHarness())),
    Check("sequencer_prediction",
          "LayerSequencer (tiny network, P=2): the prediction's valid stays until ready, only "
          "in the predict phase", "prove", 4,
          lambda: rtlil_job(SequencerHarness(HardwareConfig(tiny_network(), cores=2)))),
    Check("accel_tiny_streams",
          "the emitted accelerator (tiny network, P=2): every host stream's rules and "
          "promises, from reset, free pixels/ready/reset, memories as generated", "bmc", 12,
          functools.partial(_accelerator, "tiny", 2, False)),
    Check("accel_tiny_reach",
          "the tiny accelerator's input phase ends within 12 cycles of reset: the bounded "
          "check above goes through a whole input phase", "cover", 12,
          functools.partial(_accelerator, "tiny", 2, False)),
    Check("accel_tiny_load",
          "the emitted accelerator (tiny network, P=2) with free loads: load.ready only while "
          "idle, and the other streams' rules", "bmc", 6,
          functools.partial(_accelerator, "tiny", 2, True)),
    Check("accel_digits_streams",
          "the emitted digits accelerator (P=2): the host streams' rules from reset "
          "(covers the start of the input phase)", "bmc", 6,
          functools.partial(_accelerator, "digits", 2, False), ci=False, timeout=1800),
    _membrane_check("tiny", True),
] + [_membrane_check(n, n in ("digits", "mnist")) for n in TTFS_NETS] + [
    # the standard-cell adder (``gen.synth`` TARGET=sky130)
    _membrane_check(n, False, "prefix") for n in ("digits", "mnist")]


def by_name(name):
    for c in CHECKS:
        if c.name == name:
            return c
    raise KeyError(f"no formal check named {name!r} (known: {', '.join(c.name for c in CHECKS)})")


def run_check(check, workdir, *, timeout=None):
    """Build and run one check; a ``sby.Result``."""
    return run(check.job(), workdir, timeout=timeout or check.timeout)
