"""Formal harness of the whole accelerator, as users get it: the Verilog of ``gen.verilog``.

The design under test is an ``Instance`` of the module that ``gen.verilog.emit`` writes (the same
text as ``write_design``); yosys reads that Verilog next to the harness's RTLIL. Every input of
the accelerator is a free input of the solver (``AnySeq``), the reset included; the harness
states, on every host stream (every ``lib.stream`` port, ``host_streams``), the stream rules
(``StreamRules``: asserted on the outputs, assumed of the host on the inputs) and what the
``rtl.top.Accelerator`` docstring promises:

- ``pixels``: ready only in the input phase, and exactly C*H*W transfers per inference (the
  design takes a pixel exactly on valid & ready);
- ``load``: ready only while idle;
- ``scores``: one per class, in class order, all of them before the prediction;
- ``prediction``: the class of the largest transferred score, the lowest class on ties;
- ``trace``: spike times below T.
"""

from amaranth.asserts import AnySeq
from amaranth.hdl import (
    Assert,
    Assume,
    ClockSignal,
    Cover,
    Elaboratable,
    Format,
    Instance,
    Module,
    ResetSignal,
    Signal,
    Value,
)
from amaranth.lib import stream, wiring

from gen.verilog import emit
from rtl.layouts import Phase
from rtl.top import Accelerator

from .stream_rules import ENVIRONMENT, PRODUCER, StreamRules

__all__ = ["AcceleratorHarness", "host_streams"]


def host_streams(top):
    """[(name, role)] of every ``lib.stream`` port of the accelerator ``top``: the ones it
    drives (``PRODUCER``) and the ones the host drives (``ENVIRONMENT``)."""
    out = []
    for name, member in top.signature.members.items():
        if member.is_signature and isinstance(member.signature, stream.Signature):
            out.append((name, PRODUCER if member.flow == wiring.Out else ENVIRONMENT))
    return out


class AcceleratorHarness(Elaboratable):
    """The properties of every host stream of the accelerator of ``config``.

    ``verilog``: the design's Verilog (default: ``gen.verilog.emit`` of ``Accelerator(config)``;
    a test passes a mutated text to see a check fail). ``module``: its top module name.
    ``loads``: whether the host may load memory words (False: ``load.valid`` is assumed low, the
    memories keep the generated network).
    """

    def __init__(self, config, *, module="snn_accel", verilog=None, loads=True):
        self._config = config
        self._loads = loads
        self._top = Accelerator(config)
        self.module = module
        self.verilog = emit(self._top, module) if verilog is None else verilog

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        # the accelerator's ports, as the harness's own signals
        dut = self._top.signature.create(path=("dut",))
        conns = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
        for path, member, value in self._top.signature.flatten(dut):
            name = "__".join(str(p) for p in path)
            if member.flow == wiring.In:
                conns[f"i_{name}"] = value
                m.d.comb += value.eq(AnySeq(len(Value.cast(value))))  # the host: anything
            else:
                conns[f"o_{name}"] = value
        m.submodules.dut = Instance(self.module, **conns)
        if not self._loads:
            # the memories keep the generated network: the check is about the inference
            m.d.comb += Assume(~dut.load.valid)

        transfer = {}
        for name, role in host_streams(self._top):
            port = getattr(dut, name)
            rules = StreamRules(port.payload.shape(), role=role, name=name)
            m.submodules[f"{name}_rules"] = rules
            m.d.comb += [rules.valid.eq(port.valid), rules.ready.eq(port.ready),
                         rules.payload.eq(port.payload)]
            transfer[name] = rules.transfer

        phase = dut.phase
        idle = phase == Phase.IDLE
        # -- pixels: taken in the input phase only, C*H*W of them per inference --------------
        pixels_per_image = 1
        for n in cfg.network.input_shape:
            pixels_per_image *= n
        m.d.comb += Assert(~dut.pixels.ready | (phase == Phase.INPUT),
                           "pixels: ready outside the input phase")
        taken = Signal(range(pixels_per_image + 2), name="pixels_taken")
        last_phase = Signal.like(phase, name="last_phase")
        m.d.sync += last_phase.eq(phase)
        with m.If(idle):
            m.d.sync += taken.eq(0)
        with m.Elif(transfer["pixels"] & (taken <= pixels_per_image)):
            m.d.sync += taken.eq(taken + 1)
        with m.If((last_phase == Phase.INPUT) & (phase != Phase.INPUT) & (phase != Phase.IDLE)):
            m.d.comb += Assert(taken == pixels_per_image,
                               Format("pixels: {} taken in the input phase, not "
                                      f"{pixels_per_image}", taken))
        # reachability (``cover`` mode): a bounded check to this depth has been through a whole
        # input phase, not a vacuous prefix of it
        m.d.comb += Cover((last_phase == Phase.INPUT) & (phase == Phase.INTEGRATE))

        # -- load: only while idle ---------------------------------------------------------------
        m.d.comb += Assert(~dut.load.ready | idle, "load: ready while not idle")

        # -- scores: classes in order, then the prediction of the largest ----------------------
        classes = cfg.network.classes
        sent = Signal(range(classes + 1), name="scores_sent")
        score_of = [Signal.like(dut.scores.payload.score, name=f"score_{c}")
                    for c in range(classes)]
        with m.If(idle):
            m.d.sync += sent.eq(0)
        with m.If(transfer["scores"]):
            m.d.comb += [
                Assert(dut.scores.payload.cls == sent,
                       Format("scores: class {} sent as score number {}",
                              dut.scores.payload.cls, sent)),
                Assert(phase != Phase.IDLE, "scores: sent while idle"),
            ]
            m.d.sync += sent.eq(sent + 1)
            for c, reg in enumerate(score_of):
                with m.If(sent == c):
                    m.d.sync += reg.eq(dut.scores.payload.score)
        if cfg.trace:
            with m.If(dut.trace.valid):
                m.d.comb += Assert(dut.trace.payload.k < cfg.T, "trace: spike time >= T")
        pred = dut.prediction.payload
        with m.If(dut.prediction.valid):
            m.d.comb += [
                Assert(sent == classes, Format("prediction: offered after {} of "
                                               f"{classes} scores", sent)),
                Assert(pred < classes, "prediction: not a class"),
            ]
            for c, score in enumerate(score_of):
                with m.If(pred == c):
                    for other, other_score in enumerate(score_of):
                        if other < c:   # a lower class wins a tie
                            m.d.comb += Assert(score > other_score,
                                               f"prediction: {c} is not above class {other}")
                        elif other > c:
                            m.d.comb += Assert(score >= other_score,
                                               f"prediction: {c} is below class {other}")
        return m
