"""TTFS neuron core: synapse (weight) memory, membrane memory, accumulate and fire."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from .fire_unit import FireUnit
from .weight_decoder import WeightDecoder

__all__ = ["NeuronCore", "op_layout", "param_layout", "LOAD_WEIGHT", "LOAD_BIAS",
           "LOAD_THRESHOLD"]

#: ``load`` targets of the accelerator's host port
LOAD_WEIGHT, LOAD_BIAS, LOAD_THRESHOLD = 0, 1, 2


def _abits(depth):
    return max(1, (depth - 1).bit_length())


def op_layout(*, weight_depth, membrane_depth, time_bits):
    """One synaptic operation: weight address, membrane address, input spike time."""
    return data.StructLayout({"waddr": _abits(weight_depth), "maddr": _abits(membrane_depth),
                              "k": time_bits})


def param_layout(membrane_bits):
    """The bias B and threshold Theta of the channel group being fired."""
    return data.StructLayout({"bias": signed(membrane_bits), "threshold": signed(membrane_bits)})


class NeuronCore(wiring.Component):
    """One of the P neuron cores; core ``p`` owns output channels ``co = g * P + p``.

    Integrate (``fire_phase`` = 0): ``op`` carries one synaptic operation per cycle and is
    always ready. Three stages: A reads the weight code; B decodes it with the spike time
    (``WeightDecoder``) into the increment ``+-(1 << (F - e - k))`` and reads the membrane;
    C adds and writes the membrane back. A membrane read does not see the write of the same
    cycle, so when the operation in C hits the address written by the one before it, C takes
    the value just written (forwarding); back-to-back hits cost nothing.

    Fire (``fire_phase`` = 1): a pipeline with a global enable ``fire_advance`` (0 freezes it:
    the read port holds its data and nothing is written). A step issued with ``fire_valid``
    reads membrane ``fire_maddr``; one advance later (stage 1) V = U + B is formed and the
    membrane is cleared to zero as the step leaves stage 1; one advance after that (stage 2)
    ``value`` = V and ``k``/``spike`` (``FireUnit``) are valid.

    ``param`` loads B and Theta of the channel group about to be fired (always ready); the
    sequencer loads it only while no step of the previous group is in stage 1 or 2.

    ``weight_load`` writes the weight memory (host port; use only while idle).
    ``idle`` is 1 when no synaptic operation is in flight.
    """

    def __init__(self, *, membrane_bits, frac_bits, steps, rule, weight_init, membrane_depth):
        self._mbits = membrane_bits
        self._F = frac_bits
        self._T = steps
        self._rule = rule
        self._winit = list(weight_init)
        self._mdepth = membrane_depth
        kb = contract.time_bits(steps)
        self._op_layout = op_layout(weight_depth=len(self._winit), membrane_depth=membrane_depth,
                                    time_bits=kb)
        wload = data.StructLayout({"addr": _abits(len(self._winit)), "data": contract.CODE_BITS})
        super().__init__({
            "op": In(stream.Signature(self._op_layout, always_ready=True)),
            "fire_phase": In(1),
            "fire_advance": In(1),
            "fire_valid": In(1),
            "fire_maddr": In(_abits(membrane_depth)),
            "param": In(stream.Signature(param_layout(membrane_bits), always_ready=True)),
            "value": Out(signed(membrane_bits)),
            "k": Out(unsigned(contract.time_bits(steps + 1))),
            "spike": Out(1),
            "weight_load": In(stream.Signature(wload, always_ready=True)),
            "idle": Out(1),
        })

    @property
    def membrane_bits(self):
        return self._mbits

    def elaborate(self, platform):
        m = Module()
        mbits = self._mbits
        m.submodules.weights = weights = memory.Memory(
            shape=contract.CODE_BITS, depth=len(self._winit), init=self._winit)
        m.submodules.membrane = membrane = memory.Memory(
            shape=signed(mbits), depth=self._mdepth, init=[])
        m.submodules.decoder = decoder = WeightDecoder(
            frac_bits=self._F, time_bits=contract.time_bits(self._T))
        m.submodules.fire_unit = fire_unit = FireUnit(
            membrane_bits=mbits, steps=self._T, rule=self._rule)

        w_rd = weights.read_port()
        u_rd = membrane.read_port()
        u_wr = membrane.write_port()
        w_wr = weights.write_port()
        m.d.comb += [
            w_wr.addr.eq(self.weight_load.p.addr), w_wr.data.eq(self.weight_load.p.data),
            w_wr.en.eq(self.weight_load.valid),
        ]

        bias = Signal(signed(mbits), name="param_bias")
        threshold = Signal(signed(mbits), name="param_threshold")
        with m.If(self.param.valid):
            m.d.sync += [bias.eq(self.param.p.bias), threshold.eq(self.param.p.threshold)]

        # -- integrate: A reads the weight -----------------------------------------------------
        m.d.comb += [w_rd.addr.eq(self.op.p.waddr), w_rd.en.eq(1)]
        intb_valid = Signal(name="intb_valid")
        intb_maddr = Signal.like(self.op.p.maddr, name="intb_maddr")
        intb_k = Signal.like(self.op.p.k, name="intb_k")
        m.d.sync += [intb_valid.eq(~self.fire_phase & self.op.valid),
                     intb_maddr.eq(self.op.p.maddr), intb_k.eq(self.op.p.k)]

        # -- integrate: B decodes the increment, reads the membrane ---------------------------
        m.d.comb += [decoder.code.eq(w_rd.data), decoder.k.eq(intb_k)]
        # two's complement of +-(1 << shift): bit `shift` set, the bits above it copy the sign
        increment = Signal(signed(mbits), name="intb_increment")
        for i in range(mbits):
            above = (decoder.shift < i) if i else 0
            m.d.comb += increment[i].eq(~decoder.zero & ((decoder.shift == i) |
                                                         (decoder.sign & above)))
        intc_valid = Signal(name="intc_valid")
        intc_maddr = Signal.like(intb_maddr, name="intc_maddr")
        intc_increment = Signal.like(increment, name="intc_increment")
        m.d.sync += [intc_valid.eq(intb_valid), intc_maddr.eq(intb_maddr),
                     intc_increment.eq(increment)]

        # -- integrate: C adds and writes back, forwarding the previous write -----------------
        fwd_valid = Signal(name="fwd_valid")
        fwd_addr = Signal.like(intc_maddr, name="fwd_addr")
        fwd_data = Signal(signed(mbits), name="fwd_data")
        old = Mux(fwd_valid & (fwd_addr == intc_maddr), fwd_data, u_rd.data)
        updated = Signal(signed(mbits), name="intc_updated")
        m.d.comb += updated.eq(old + intc_increment)

        # -- fire: stage 1 forms V = U + B, stage 2 fires ------------------------------------
        fire1_valid = Signal(name="fire1_valid")
        fire1_maddr = Signal.like(self.fire_maddr, name="fire1_maddr")
        fire2_value = Signal(signed(mbits), name="fire2_value")
        with m.If(self.fire_advance):
            m.d.sync += [fire1_valid.eq(self.fire_valid), fire1_maddr.eq(self.fire_maddr),
                         fire2_value.eq(u_rd.data + bias)]
        m.d.comb += [
            fire_unit.value.eq(fire2_value),
            fire_unit.threshold.eq(threshold),
            self.value.eq(fire2_value),
            self.k.eq(fire_unit.k),
            self.spike.eq(fire_unit.spike),
        ]

        # -- membrane ports, shared by the phases -----------------------------------------
        with m.If(self.fire_phase):
            m.d.comb += [
                u_rd.addr.eq(self.fire_maddr),
                u_rd.en.eq(self.fire_advance),
                u_wr.addr.eq(fire1_maddr),
                u_wr.data.eq(0),
                u_wr.en.eq(self.fire_advance & fire1_valid),
            ]
        with m.Else():
            m.d.comb += [
                u_rd.addr.eq(intb_maddr),
                u_rd.en.eq(1),
                u_wr.addr.eq(intc_maddr),
                u_wr.data.eq(updated),
                u_wr.en.eq(intc_valid),
            ]
        m.d.sync += [fwd_valid.eq(u_wr.en), fwd_addr.eq(u_wr.addr), fwd_data.eq(u_wr.data)]
        m.d.comb += self.idle.eq(~intb_valid & ~intc_valid)
        return m
