"""Formal harness of one neuron core: the membrane never wraps, at a network's widths.

``MembraneHarness`` drives an ``rtl.neuron_core.NeuronCore`` built with a network's membrane
width, F, T and parameter widths. Its weight memory holds every 5-bit code (code = address),
so a free weight address picks any weight; every other input is free (``AnySeq``) except for
what the layer sequencer guarantees (assumptions, see ``docs/formal.md``):

- a layer: ``layer`` (``AnyConst``) picks one compute layer of the network; its fan-in bounds the
  synaptic operations a membrane address receives between two fire-phase reads (the spike
  router sends each output neuron at most one operation per input neuron), and its largest
  |B| bounds the bias loaded on ``param``;
- spike times below T; the fire phase starts only when no operation is in flight, ends only
  when no fire step is in flight, and reads each address at most once.

The harness keeps the exact (wide) sum of the increments each address received, from the
contract's ``synaptic_increment`` table, and asserts that the core's narrow membrane word equals
it (sign-extended) at every cycle, that V = U + B on ``value`` equals the exact sum plus the
bias, and the bound |U| <= ops * 2^F that makes the width sufficient. The core's membrane words
and fire-pipeline registers are read through ``probes`` (connected by the yosys script of
``probe_script``), so that the assertions are an inductive invariant: ``mode prove`` closes.
"""

import numpy as np
from amaranth.asserts import AnyConst, AnySeq
from amaranth.hdl import (
    Array,
    Assert,
    Assume,
    Cat,
    Const,
    Elaboratable,
    Module,
    ResetSignal,
    Signal,
    Value,
    signed,
)

from golden import contract
from rtl.neuron_core import NeuronCore

__all__ = ["MembraneHarness", "layer_limits"]


def layer_limits(network):
    """[(fan_in, largest |B|)] of every compute layer of a golden Network."""
    return [(int(l.fan_in), int(np.abs(l.bias).max())) for l in network.layers]


def within(value, bound):
    """|value| <= bound."""
    return (value <= bound) & (-value <= bound)


class MembraneHarness(Elaboratable):
    """``limits``: ``layer_limits`` of the network (or any [(fan_in, max |B|)]).
    ``membrane_bits``: the width under check (a test narrows it to see the check fail)."""

    #: membrane addresses modelled (two: back-to-back operations on different addresses
    #: exercise the forwarding paths' address compare)
    DEPTH = 2

    def __init__(self, *, limits, membrane_bits, frac_bits, steps, rule, bias_bits,
                 threshold_bits, adder="carry"):
        self._limits = list(limits)
        self._w = membrane_bits
        self._F = frac_bits
        self._T = steps
        self._core = NeuronCore(membrane_bits=membrane_bits, frac_bits=frac_bits, steps=steps,
                                rule=rule, weight_init=list(range(1 << contract.CODE_BITS)),
                                membrane_depth=self.DEPTH, threshold_bits=threshold_bits,
                                bias_bits=bias_bits, adder=adder)
        # the core's state the invariant needs: {probe name: wire of the flattened core}
        self.probes = {f"probe_membrane_{a}": Signal(signed(membrane_bits),
                                                     name=f"probe_membrane_{a}")
                       for a in range(self.DEPTH)}
        self.probes.update({
            "probe_fire1_valid": Signal(name="probe_fire1_valid"),
            "probe_fire1_maddr": Signal(range(self.DEPTH), name="probe_fire1_maddr"),
            "probe_fire2_valid": Signal(name="probe_fire2_valid"),
            "probe_membrane_q": Signal(signed(membrane_bits), name="probe_membrane_q"),
            "probe_read_data": Signal(signed(membrane_bits), name="probe_read_data"),
            "probe_bias": Signal(signed(self._core_bias_bits(bias_bits, membrane_bits)),
                                 name="probe_bias"),
        })
        self._wires = {f"probe_membrane_{a}": f"core.membrane[{a}]" for a in range(self.DEPTH)}
        self._wires.update({"probe_fire1_valid": "core.fire1_valid",
                            "probe_fire1_maddr": "core.fire1_maddr",
                            "probe_fire2_valid": "core.fire2_valid",
                            "probe_membrane_q": "core.membrane_q",
                            "probe_read_data": "core.u_rd__data",
                            "probe_bias": "core.param_bias"})

    @staticmethod
    def _core_bias_bits(bias_bits, membrane_bits):
        return membrane_bits if bias_bits is None else bias_bits

    def ports(self):
        """The probes: inputs of the harness's RTLIL, connected by ``probe_script``."""
        return list(self.probes.values())

    def probe_script(self, top="harness"):
        """Yosys commands (after reading the RTLIL) that wire each probe to the core's state."""
        # (-nounset: the probe is an undriven input once its port flag is gone; unsetting would
        # also cut the aliases ``proc`` made of it)
        cmds = [f"hierarchy -top {top}", "proc", "flatten", "memory_map", f"cd {top}"]
        for probe, wire in self._wires.items():
            cmds += [f"delete -port w:{probe}", f"connect -nounset -set {probe} {wire}"]
        return cmds + ["cd"]

    def elaborate(self, platform):
        m = Module()
        w, F, T, D = self._w, self._F, self._T, self.DEPTH
        m.submodules.core = core = self._core
        wide = signed(w + 4)  # holds every exact sum the checks can reach, and then some
        # -- the layer and its limits ---------------------------------------------------------
        n_layers = len(self._limits)
        layer = Signal(range(max(2, n_layers)), name="layer")
        m.d.comb += layer.eq(AnyConst(len(layer)))
        m.d.comb += Assume(layer < n_layers)
        max_fan_in = max(f for f, _ in self._limits)
        fan_in = Array(Const(f, range(max_fan_in + 1)) for f, _ in self._limits)[layer]
        max_bias = Array(Const(b, range(max(b for _, b in self._limits) + 1))
                         for _, b in self._limits)[layer]
        # -- free inputs -----------------------------------------------------------------------
        for port in (core.op.valid, core.op.p, core.fire.phase, core.fire.advance,
                     core.fire.valid, core.fire.maddr, core.param.valid, core.param.p):
            m.d.comb += port.eq(AnySeq(len(Value.cast(port))))
        m.d.comb += core.weight_load.valid.eq(0)  # the weight memory keeps every code
        m.d.comb += Assume(core.op.p.k < T)
        # the membrane memory has no reset (the sequencer clears it): the check runs from the
        # initial state without a reset
        m.d.comb += Assume(~ResetSignal())
        m.d.comb += Assume(~core.fire.valid | core.fire.phase)
        bias = core.param.p.bias
        m.d.comb += Assume(~core.param.valid | within(bias, max_bias))

        # -- the increment of an operation: the contract's table of (code, k) ---------------
        table = [int(contract.synaptic_increment(code, k, F))
                 for code in range(1 << contract.CODE_BITS) for k in range(1 << len(core.op.p.k))]
        increment = Array(Const(v, wide) for v in table)[Cat(core.op.p.k, core.op.p.waddr)]

        # -- the sequencer's guarantees ------------------------------------------------------
        # operations in flight (issued, not written back), as the core's stages B..E
        issued = core.op.valid & ~core.fire.phase
        stage = [{"valid": Signal(name=f"h{x}_valid"),
                  "maddr": Signal(range(D), name=f"h{x}_maddr"),
                  "inc": Signal(wide, name=f"h{x}_inc")} for x in "bcde"]
        m.d.sync += [stage[0]["valid"].eq(issued), stage[0]["maddr"].eq(core.op.p.maddr),
                     stage[0]["inc"].eq(increment)]
        for prev, nxt in zip(stage, stage[1:]):
            m.d.sync += [nxt[k].eq(prev[k]) for k in ("valid", "maddr", "inc")]
        in_flight = Cat(*(s["valid"] for s in stage)).any()
        fire_prev = Signal(name="fire_phase_prev")
        m.d.sync += fire_prev.eq(core.fire.phase)
        m.d.comb += Assume(~(core.fire.phase & ~fire_prev) | ~in_flight)
        # the fire pipeline's steps in flight (read issued / membrane registered)
        f1_valid = self.probes["probe_fire1_valid"]
        f1_maddr = self.probes["probe_fire1_maddr"]
        f2_valid = self.probes["probe_fire2_valid"]
        m.d.comb += Assume(~(~core.fire.phase & fire_prev) | ~(f1_valid | f2_valid))
        fired = Signal(D, name="fired")  # addresses read in this fire phase
        step = core.fire.phase & core.fire.advance & core.fire.valid
        with m.If(~core.fire.phase):
            m.d.sync += fired.eq(0)
        with m.Elif(step):
            m.d.sync += fired.eq(fired | (1 << core.fire.maddr))
        m.d.comb += Assume(~step | ~fired.bit_select(core.fire.maddr, 1))
        m.d.comb += Assert(~(core.fire.phase & f1_valid) | fired.bit_select(f1_maddr, 1),
                           "fire: the step in flight reads an address not read in this phase")
        m.d.comb += Assume(core.fire.maddr < D)

        # -- per address: operations since the last read, and their exact sum ---------------
        # ``ops`` counts the operations written back, ``exact`` sums their increments; an
        # operation may be issued while the written and in-flight ones are below the fan-in
        ops = [Signal(range(max_fan_in + 1), name=f"ops_{a}") for a in range(D)]
        exact = [Signal(wide, name=f"exact_{a}") for a in range(D)]
        last = stage[-1]
        for s in stage:
            m.d.comb += Assert(~s["valid"] | within(s["inc"], 1 << F),
                               "integrate: an increment above 2^F")
        for a in range(D):
            pending = sum((s["valid"] & (s["maddr"] == a)).as_unsigned() for s in stage)
            m.d.comb += [
                Assume(~(issued & (core.op.p.maddr == a)) | (ops[a] + pending < fan_in)),
                Assert(ops[a] + pending <= fan_in,
                       f"membrane {a}: more operations than the fan-in"),
            ]
            with m.If(last["valid"] & (last["maddr"] == a)):
                m.d.sync += [exact[a].eq(exact[a] + last["inc"]), ops[a].eq(ops[a] + 1)]
            # the fire step's second advance writes the membrane back to zero
            with m.If(core.fire.phase & core.fire.advance & f1_valid & (f1_maddr == a)):
                m.d.sync += [exact[a].eq(0), ops[a].eq(0)]
            m.d.comb += [
                Assert(self.probes[f"probe_membrane_{a}"] == exact[a],
                       f"membrane {a}: the narrow word differs from the exact sum (it wrapped)"),
                Assert(within(exact[a], ops[a] << F), f"membrane {a}: |U| above ops * 2^F"),
            ]

        # -- fire: V = U + B, exactly ------------------------------------------------------------
        bias_reg = Signal(signed(len(bias)), name="bias")
        with m.If(core.param.valid):
            m.d.sync += bias_reg.eq(bias)
        m.d.comb += [Assert(self.probes["probe_bias"] == bias_reg, "param: B not as loaded"),
                     Assert(within(bias_reg, max_bias), "param: |B| above the layer's")]
        read = Signal(wide, name="read_exact")  # the exact U the fire step read
        expect = Signal(wide, name="value_exact")
        known = Signal(name="value_known")
        with m.If(core.fire.advance):
            with m.If(f1_valid):
                m.d.sync += read.eq(Array(exact)[f1_maddr])
            with m.If(f2_valid):
                m.d.sync += [expect.eq(read + bias_reg), known.eq(1)]
        # the fire pipeline holds steps only in the fire phase; a step's read waits in the read
        # port until the next advance
        m.d.comb += Assert(core.fire.phase | ~(f1_valid | f2_valid),
                           "fire: a step in flight outside the fire phase")
        with m.If(core.fire.phase & f1_valid):
            m.d.comb += Assert(self.probes["probe_read_data"] == Array(exact)[f1_maddr],
                               "fire: the membrane read differs from the exact sum")
        with m.If(f2_valid):
            m.d.comb += [Assert(self.probes["probe_membrane_q"] == read,
                                "fire: the membrane read differs from the exact sum"),
                         Assert(within(read, fan_in << F), "fire: |U| above fan-in * 2^F")]
        with m.If(known):
            m.d.comb += [Assert(core.value == expect, "fire: V = U + B wrapped"),
                         Assert(within(expect, (fan_in << F) + max_bias),
                                "fire: |V| above fan-in * 2^F + |B|")]
        return m
