"""Formal harnesses of the components that produce the host streams, for k-induction.

Each harness drives one component with free inputs (``AnySeq``) and states the ``lib.stream``
rules on its streams (``StreamRules``). A component's stream rule depends only on its own
registers, so an induction of a few steps closes: the rule holds in every reachable state, not
only to a depth.

- ``EmitterHarness``: ``SpikeEmitter.out`` is the source of the ``scores`` and (in the fire
  phases) ``trace`` streams; its ``stall`` must also freeze the fire pipeline whenever an
  offer waits (the accelerator relies on it to hold the score payload, which it reads from the
  cores).
- ``EncoderHarness``: ``InputEncoder.events`` is the source of the input phase's ``trace``
  events; its ``pixels`` input is the host's ``pixels`` stream (the host keeps the rules; the
  encoder takes a pixel only while ``start`` is low and the image is not complete).
- ``SequencerHarness``: ``LayerSequencer.predict_valid`` is the ``prediction`` stream's valid.
"""

from types import SimpleNamespace

from amaranth.asserts import AnySeq
from amaranth.hdl import Assert, Elaboratable, Module, Value
from amaranth.lib import data

from rtl.input_encoder import InputEncoder
from rtl.layouts import Phase, event_layout
from rtl.sequencer import LayerSequencer
from rtl.spike_emitter import SpikeEmitter

from .stream_rules import ENVIRONMENT, PRODUCER, StreamRules

__all__ = ["EmitterHarness", "EncoderHarness", "SequencerHarness"]


def _bits(n):
    return max(1, int(n).bit_length())


def _drive_free(m, *ports):
    for port in ports:
        m.d.comb += port.eq(AnySeq(len(Value.cast(port))))


def _watch(m, name, role, valid, ready, payload):
    rules = StreamRules(payload.shape(), role=role, name=name)
    m.submodules[f"{name}_rules"] = rules
    m.d.comb += [rules.valid.eq(valid), rules.ready.eq(ready), rules.payload.eq(payload)]
    return rules


class EmitterHarness(Elaboratable):
    """``SpikeEmitter`` of ``lanes`` lanes with a time payload and a small tag; ``emitter``
    may be a mutated component (a test)."""

    def __init__(self, *, lanes=4, time_bits=3, emitter=None):
        lane = data.StructLayout({"k": time_bits})
        tag = data.StructLayout({"g": 2, "y": 3, "x": 3})
        self._dut = emitter or SpikeEmitter(lanes=lanes, lane_layout=lane, tag_layout=tag)

    def elaborate(self, platform):
        m = Module()
        m.submodules.emitter = dut = self._dut
        _drive_free(m, dut.group_valid, dut.group_mask, dut.group_lanes, dut.group_tag,
                    dut.out.ready)
        _watch(m, "out", PRODUCER, dut.out.valid, dut.out.ready, dut.out.payload)
        # an offer that waits stalls the fire pipeline: the cores' values hold
        m.d.comb += Assert(~(dut.out.valid & ~dut.out.ready) | dut.stall,
                           "emitter: an offer waits without a stall")
        m.d.comb += Assert(dut.idle == ~dut.out.valid, "emitter: idle while offering")
        return m


class EncoderHarness(Elaboratable):
    """``InputEncoder`` of a small image (``shape``) at T = ``steps``."""

    def __init__(self, *, shape=(1, 2, 3), steps=4, rule="round"):
        c, h, w = shape
        widths = SimpleNamespace(c_bits=_bits(c - 1), y_bits=_bits(h - 1), x_bits=_bits(w - 1),
                                 T=steps, k_bits=_bits(steps - 1))
        self._dut = InputEncoder(event_layout(widths), shape=shape, steps=steps, rule=rule)
        self._T = steps

    def elaborate(self, platform):
        m = Module()
        m.submodules.encoder = dut = self._dut
        _drive_free(m, dut.start, dut.pixels.valid, dut.pixels.payload, dut.events.ready)
        _watch(m, "pixels", ENVIRONMENT, dut.pixels.valid, dut.pixels.ready, dut.pixels.payload)
        _watch(m, "events", PRODUCER, dut.events.valid, dut.events.ready, dut.events.payload)
        m.d.comb += [
            Assert(~dut.pixels.ready | ~dut.done, "encoder: takes a pixel after the image"),
            Assert(~dut.events.valid | (dut.events.payload.k < self._T),
                   "encoder: an event with k >= T"),
        ]
        return m


class SequencerHarness(Elaboratable):
    """``LayerSequencer`` of ``config`` with free status inputs: its ``predict_valid`` (the
    ``prediction`` stream's valid) stays high until ``predict_ready``, and the phase with it."""

    def __init__(self, config):
        self._dut = LayerSequencer(config)

    def elaborate(self, platform):
        m = Module()
        m.submodules.sequencer = dut = self._dut
        _drive_free(m, dut.pixel_valid, dut.encoder_done, dut.read_done, dut.router_idle,
                    dut.cores_idle, dut.emit_stall, dut.emit_idle, dut.predict_ready)
        _watch(m, "prediction", PRODUCER, dut.predict_valid, dut.predict_ready, dut.phase)
        m.d.comb += Assert(~dut.predict_valid | (dut.phase == Phase.PREDICT),
                           "sequencer: a prediction offered outside the predict phase")
        return m
