# amaranth: UnusedElaboratable=no
"""The formal checks of ``verif.formal.checks`` that CI runs, and mutants that each must fail.

Each check runs SymbiYosys (YoWASP yosys + smtbmc, z3) with a timeout; a counterexample, an
induction that does not close, a timeout or a tool error fails the test. ``make formal`` runs
every check, with its depth and time (docs/formal.md).
"""

import os

import pytest
from amaranth.hdl import Module
from amaranth.lib import data, wiring

from rtl.config import HardwareConfig
from rtl.spike_emitter import SpikeEmitter
from rtl.top import Accelerator
from verif.formal.accelerator import AcceleratorHarness, host_streams
from verif.formal.checks import CHECKS, accelerator_job, membrane_harness, rtlil_job, tiny_network
from verif.formal.components import EmitterHarness
from verif.formal.sby import Job, run

pytestmark = pytest.mark.formal


def _run(tmp_path, name, mode, depth, built, timeout=600):
    files, reads, top = built
    return run(Job(name=name, mode=mode, depth=depth, files=files, reads=tuple(reads), top=top),
               str(tmp_path), timeout=timeout)


@pytest.mark.parametrize("check", [c for c in CHECKS if c.ci], ids=lambda c: c.name)
def test_check_passes(check, tmp_path):
    res = _run(tmp_path, check.name, check.mode, check.depth, check.build(), check.timeout)
    assert res.passed, res.summary()


# -- mutants: each check must be able to fail ----------------------------------------------------

class _ReadyBlindEmitter(wiring.Component):
    """A SpikeEmitter that moves to its next lane without waiting for ``out.ready``: the
    payload changes while valid and not ready."""

    def __init__(self, **params):
        self._inner = SpikeEmitter(**params)
        super().__init__(self._inner.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = inner = self._inner
        for (path, member, outer), (_, _, value) in zip(self.signature.flatten(self),
                                                        self._inner.signature.flatten(inner)):
            if path == ("out", "ready"):
                m.d.comb += value.eq(1)
            elif member.flow == wiring.In:
                m.d.comb += value.eq(outer)
            else:
                m.d.comb += outer.eq(value)
        return m


def test_emitter_mutant_fails(tmp_path):
    lane = data.StructLayout({"k": 3})
    tag = data.StructLayout({"g": 2, "y": 3, "x": 3})
    mutant = _ReadyBlindEmitter(lanes=4, lane_layout=lane, tag_layout=tag)
    res = _run(tmp_path, "emitter_mutant", "prove", 4,
               rtlil_job(EmitterHarness(emitter=mutant)))
    assert res.status == "FAIL", res.summary()
    assert res.trace and res.step is not None


def test_membrane_one_bit_narrower_fails(tmp_path):
    """At one bit less than the contract's width, four operations of +2^F reach the tiny
    network's bound (fan-in 4): the exact sum no longer fits and the word wraps."""
    h = membrane_harness(tiny_network(), narrower=1)
    res = _run(tmp_path, "membrane_narrow", "bmc", 10, rtlil_job(h, h.ports(), h.probe_script()))
    assert res.status == "FAIL", res.summary()


def test_load_ready_mutant_fails(tmp_path):
    """A load port ready outside the idle phase (the emitted Verilog, edited)."""
    harness = AcceleratorHarness(HardwareConfig(tiny_network(), cores=2), loads=False)
    original = "assign load__ready = ! phase;"
    assert original in harness.verilog, "the mutation site moved: update this test"
    harness.verilog = harness.verilog.replace(original, "assign load__ready = 1'h1;")
    res = _run(tmp_path, "load_mutant", "bmc", 4, accelerator_job(harness))
    assert res.status == "FAIL", res.summary()


def test_job_rejects_bad_parameters():
    with pytest.raises(ValueError, match="mode must be one of bmc, prove, cover, not 'live'"):
        Job(name="x", mode="live", depth=1, files={}, reads=(), top="t")
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        Job(name="x", mode="bmc", depth=0, files={}, reads=(), top="t")



def test_timeout_ends_the_engines(tmp_path):
    """A check past its timeout is reported as such, and no solver of it goes on running."""
    check = next(c for c in CHECKS if c.name == "accel_tiny_streams")
    res = _run(tmp_path, "timeout", check.mode, 40, check.build(), timeout=8)
    assert res.status == "TIMEOUT", res.summary()
    left = [pid for pid in _pids() if _cwd(pid).startswith(str(tmp_path))]
    assert not left, f"processes of the timed-out check still run: {left}"


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cwd(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def test_every_host_stream_is_watched():
    top = Accelerator(HardwareConfig(tiny_network(), cores=2))
    assert sorted(host_streams(top)) == [("load", "environment"), ("pixels", "environment"),
                                         ("prediction", "producer"), ("scores", "producer"),
                                         ("trace", "producer")]
