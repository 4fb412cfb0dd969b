"""TTFS neuron core: synapse (weight) memory, membrane memory, accumulate and fire."""

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from .fire_unit import FireUnit
from .weight_decoder import WeightDecoder

__all__ = ["NeuronCore", "op_layout", "load_layout", "LOAD_WEIGHT", "LOAD_BIAS",
           "LOAD_THRESHOLD"]

LOAD_WEIGHT, LOAD_BIAS, LOAD_THRESHOLD = 0, 1, 2


def _abits(depth):
    return max(1, (depth - 1).bit_length())


def op_layout(*, weight_depth, membrane_depth, time_bits):
    """One synaptic operation: weight address, membrane address, input spike time."""
    return data.StructLayout({"waddr": _abits(weight_depth), "maddr": _abits(membrane_depth),
                              "k": time_bits})


def load_layout(*, weight_depth, param_depth, membrane_bits):
    """A host write into a core's weight, bias or threshold memory."""
    return data.StructLayout({"target": 2, "addr": _abits(max(weight_depth, param_depth)),
                              "data": signed(membrane_bits)})


class NeuronCore(wiring.Component):
    """One of the P neuron cores; core ``p`` owns output channels ``co = g * P + p``.

    Integrate (``fire_phase`` = 0): ``op`` carries one synaptic operation per cycle and is always
    ready. Stage A reads the weight code and the membrane; stage B decodes the code with the spike
    time (``WeightDecoder``), adds ``+-(1 << (F - e - k))`` and writes the membrane back. The
    membrane read does not see the write of the cycle before, so a back-to-back hit on the same
    address takes the value just written (forwarding).

    Fire (``fire_phase`` = 1): a two-stage pipeline with a global enable ``fire_advance``
    (0 freezes it: read ports hold their data, nothing is written). A step issued with
    ``fire_valid`` reads membrane ``fire_maddr`` and bias/threshold ``fire_paddr``; one advance
    later ``value`` = U + B and ``k``/``spike`` (``FireUnit``) are valid, and the membrane is
    cleared to zero when that step leaves (the next advance), ready for the next layer.

    ``load`` writes the weight (``target`` 0), bias (1) or threshold (2) memory; use it only
    while the accelerator is idle. ``idle`` is 1 when no synaptic operation is in flight.
    """

    def __init__(self, *, membrane_bits, frac_bits, steps, rule, weight_init, bias_init,
                 threshold_init, membrane_depth):
        self._mbits = membrane_bits
        self._F = frac_bits
        self._T = steps
        self._rule = rule
        self._winit, self._binit, self._tinit = list(weight_init), list(bias_init), \
            list(threshold_init)
        if len(self._binit) != len(self._tinit):
            raise ValueError("bias_init and threshold_init must have the same length")
        self._mdepth = membrane_depth
        kb = contract.time_bits(steps)
        self._op_layout = op_layout(weight_depth=len(self._winit), membrane_depth=membrane_depth,
                                    time_bits=kb)
        self._load_layout = load_layout(weight_depth=len(self._winit),
                                        param_depth=len(self._binit), membrane_bits=membrane_bits)
        super().__init__({
            "op": In(stream.Signature(self._op_layout, always_ready=True)),
            "fire_phase": In(1),
            "fire_advance": In(1),
            "fire_valid": In(1),
            "fire_maddr": In(_abits(membrane_depth)),
            "fire_paddr": In(_abits(len(self._binit))),
            "value": Out(signed(membrane_bits)),
            "k": Out(unsigned(contract.time_bits(steps + 1))),
            "spike": Out(1),
            "load": In(stream.Signature(self._load_layout, always_ready=True)),
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
        m.submodules.bias = bias = memory.Memory(
            shape=signed(mbits), depth=len(self._binit), init=self._binit)
        m.submodules.threshold = threshold = memory.Memory(
            shape=signed(mbits), depth=len(self._tinit), init=self._tinit)
        m.submodules.membrane = membrane = memory.Memory(
            shape=signed(mbits), depth=self._mdepth, init=[])
        m.submodules.decoder = decoder = WeightDecoder(
            frac_bits=self._F, time_bits=contract.time_bits(self._T))
        m.submodules.fire_unit = fire_unit = FireUnit(
            membrane_bits=mbits, steps=self._T, rule=self._rule)

        w_rd = weights.read_port()
        b_rd = bias.read_port()
        t_rd = threshold.read_port()
        u_rd = membrane.read_port()
        u_wr = membrane.write_port()

        # -- host load --------------------------------------------------------------------
        for target, mem in ((0, weights), (1, bias), (2, threshold)):
            wr = mem.write_port()
            m.d.comb += [
                wr.addr.eq(self.load.p.addr),
                wr.data.eq(self.load.p.data),
                wr.en.eq(self.load.valid & (self.load.p.target == target)),
            ]

        # -- integrate: stage A (read) -------------------------------------------------------
        m.d.comb += [
            w_rd.addr.eq(self.op.p.waddr),
            w_rd.en.eq(1),
        ]
        b_valid = ~self.fire_phase & self.op.valid
        intb = {
            "valid": Signal(1, name="intb_valid"),
            "maddr": Signal(len(self.op.p.maddr), name="intb_maddr"),
            "k": Signal(len(self.op.p.k), name="intb_k"),
        }
        m.d.sync += [
            intb["valid"].eq(b_valid),
            intb["maddr"].eq(self.op.p.maddr),
            intb["k"].eq(self.op.p.k),
        ]

        # -- integrate: stage B (decode, accumulate, write back with forwarding) ---------------
        fwd_valid = Signal(1, name="fwd_valid")
        fwd_addr = Signal(len(u_wr.addr), name="fwd_addr")
        fwd_data = Signal(signed(mbits), name="fwd_data")
        m.d.comb += [decoder.code.eq(w_rd.data), decoder.k.eq(intb["k"])]
        old = Mux(fwd_valid & (fwd_addr == intb["maddr"]), fwd_data, u_rd.data)
        magnitude = Signal(unsigned(mbits), name="intb_magnitude")
        m.d.comb += magnitude.eq(Mux(decoder.zero, 0, 1 << decoder.shift))
        updated = Signal(signed(mbits), name="intb_updated")
        m.d.comb += updated.eq(Mux(decoder.sign, old - magnitude, old + magnitude))

        # -- fire: stage 1 registers ---------------------------------------------------------
        fire1_valid = Signal(1, name="fire1_valid")
        fire1_maddr = Signal(len(self.fire_maddr), name="fire1_maddr")
        with m.If(self.fire_advance):
            m.d.sync += [fire1_valid.eq(self.fire_valid), fire1_maddr.eq(self.fire_maddr)]
        m.d.comb += [
            b_rd.addr.eq(self.fire_paddr), b_rd.en.eq(self.fire_advance),
            t_rd.addr.eq(self.fire_paddr), t_rd.en.eq(self.fire_advance),
            fire_unit.value.eq(u_rd.data + b_rd.data),
            fire_unit.threshold.eq(t_rd.data),
            self.value.eq(fire_unit.value),
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
                u_rd.addr.eq(self.op.p.maddr),
                u_rd.en.eq(1),
                u_wr.addr.eq(intb["maddr"]),
                u_wr.data.eq(updated),
                u_wr.en.eq(intb["valid"]),
            ]
        m.d.sync += [
            fwd_valid.eq(u_wr.en),
            fwd_addr.eq(u_wr.addr),
            fwd_data.eq(u_wr.data),
        ]
        m.d.comb += self.idle.eq(~intb["valid"])
        return m
