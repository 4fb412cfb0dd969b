"""Neuron core: synapse (weight) memory, membrane memory, accumulate and fire (TTFS or rate)."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from . import checks
from .config import ADDERS
from .fire_unit import FireUnit
from .layouts import address, event_time_bits, op_layout, param_layout, weight_load_layout
from .weight_decoder import WeightDecoder

__all__ = ["NeuronCore", "FireControlSignature"]


class FireControlSignature(wiring.Signature):
    """The fire-phase scan, driven by the sequencer into every core (members as the sequencer
    sees them; a core has it flipped).

    Members:
        phase (out): 1 in the fire phase, 0 in the integrate phase (it switches the membrane
            memory's ports between the two pipelines).
        advance (out): the fire pipelines move this cycle; 0 freezes them (the emitter stalls).
        valid (out): a scan step is issued this cycle: read membrane ``maddr``.
        maddr (out): the membrane address of the step.
    """

    def __init__(self, *, membrane_depth):
        super().__init__({"phase": Out(1), "advance": Out(1), "valid": Out(1),
                          "maddr": Out(address(membrane_depth))})


class NeuronCore(wiring.Component):
    """One of the P neuron cores; core ``p`` owns output channels ``co = g * P + p``.

    Integrate (``fire.phase`` = 0): ``op`` carries one synaptic operation per cycle and is
    always ready. Five stages, so that a memory output meets at most a two-way choice before
    a register: A reads the weight code, B registers it, C decodes it with the spike time
    (``WeightDecoder``) into the sign and shift of the increment ``+-(1 << (F - e - k))`` and
    reads the membrane, D registers the membrane and expands the increment, E adds and writes
    back. The read in C misses the writes of the two operations ahead of it: D takes the older
    and E the newer one on an address match, so back-to-back hits on a membrane cost nothing.

    Fire (``fire.phase`` = 1, ``FireControlSignature``): a pipeline with a global enable
    ``fire.advance`` (0 freezes it: the read port holds its data and nothing is written). A
    step issued with ``fire.valid`` reads membrane ``fire.maddr``; at the next advance the
    membrane is registered and cleared to zero; at the one after, V = U + B is registered and
    shown on ``value`` (``VALUE_LATENCY``); at the one after that, ``k``/``spike``
    (``FireUnit``) are registered (``FIRE_LATENCY``).
    Both are valid until the next advance, and ``value`` is held further, until the next
    *valid* step replaces it: the classifier's scores are read from it while the emitter sends
    them, so no core keeps a second copy (the classifier's groups are one step each, separated
    by P + ``LOAD_LEAD`` parameter steps).

    ``param`` loads B and the limits of Theta of the channel group about to be fired (always
    ready): B is used when V is registered, the limits when k is (``THRESHOLD_USE``); the
    sequencer loads them only after the previous group's last step has used them.

    ``adder``: how E adds the increment. "carry" (default) registers the two's complement
    increment and uses an ordinary adder, which FPGAs build on their carry chains. "prefix"
    registers the bits below the shift and flips the bits above it through a balanced prefix
    AND of the membrane's bits, which a standard-cell mapper keeps to fewer logic levels (it
    is what meets 5 ns on SKY130) but an FPGA builds from LUTs (larger and slower there).

    ``coding="rate"``: the fire unit counts (``FireUnit``), ``param`` carries the bias term
    Theta/2 + T * B, and an operation's k is the pool shift (``layouts.event_time_bits``).

    ``weight_load`` writes the weight memory (host port; use only while idle).
    ``idle`` is 1 when no synaptic operation is in flight.
    """

    #: advances from issuing a fire step to its k being valid
    FIRE_LATENCY = 4
    #: advances from issuing a fire step to its V = U + B being on ``value``
    VALUE_LATENCY = 3
    #: advances from issuing a step to the one that uses Theta (registering k): a new group's
    #: parameters may be loaded from this many advances after its previous group's last step
    THRESHOLD_USE = 3
    #: integrate pipeline stages (A..E)
    INTEGRATE_STAGES = 5

    #: ways to add the increment to the membrane (``adder``)
    ADDERS = ADDERS

    def __init__(self, *, membrane_bits, frac_bits, steps, rule, weight_init, membrane_depth,
                 threshold_bits=None, bias_bits=None, adder="carry", coding="ttfs"):
        if adder not in self.ADDERS:
            raise ValueError(f"adder must be one of {', '.join(self.ADDERS)}, not {adder!r}")
        checks.integer("membrane_bits", membrane_bits, 2, 48)
        checks.integer("steps (T)", steps, 1, contract.T_MAX)
        checks.integer("membrane_depth", membrane_depth, 1)
        if not weight_init:
            raise ValueError("weight_init must hold at least one weight code")
        self._adder = adder
        self._mbits = membrane_bits
        self._tbits = membrane_bits - 1 if threshold_bits is None else threshold_bits
        self._bbits = membrane_bits if bias_bits is None else bias_bits
        if not isinstance(self._tbits, int) or not 1 <= self._tbits < membrane_bits:
            raise ValueError(f"threshold_bits must be an integer in 1..{membrane_bits - 1} "
                             f"(membrane_bits - 1), not {threshold_bits!r}")
        if not isinstance(self._bbits, int) or not 1 <= self._bbits <= membrane_bits:
            raise ValueError(f"bias_bits must be an integer in 1..{membrane_bits} "
                             f"(membrane_bits), not {bias_bits!r}")
        self._F = frac_bits
        self._T = steps
        self._rule = rule
        self._coding = coding  # rate: count-mode fire unit, bias term Theta/2 + T * B
        self._winit = list(weight_init)
        self._mdepth = membrane_depth
        kb = event_time_bits(steps, coding)
        self._op_layout = op_layout(weight_depth=len(self._winit), membrane_depth=membrane_depth,
                                    time_bits=kb)
        super().__init__({
            "op": In(stream.Signature(self._op_layout, always_ready=True)),
            "fire": In(FireControlSignature(membrane_depth=membrane_depth)),
            "param": In(stream.Signature(param_layout(bias_bits=self._bbits,
                                                      threshold_bits=self._tbits, steps=steps,
                                                      rule=rule, coding=coding),
                                         always_ready=True)),
            "value": Out(signed(membrane_bits)),
            "k": Out(unsigned(contract.time_bits(steps + 1)), init=steps),
            "spike": Out(1),
            "weight_load": In(stream.Signature(weight_load_layout(len(self._winit)),
                                               always_ready=True)),
            "idle": Out(1),
        })

    @property
    def adder(self):
        return self._adder

    @property
    def membrane_bits(self):
        return self._mbits

    def _add_increment(self, m, old, sign, zero, shift):
        """U +- (1 << shift) (0 when ``zero``) in E, from the decoded increment of D (``sign``,
        ``zero``, ``shift``), registered between D and E in the form the adder wants."""
        mbits = self._mbits
        n_shifts = min(mbits, 1 << len(shift))  # shift <= F < membrane_bits
        if self._adder == "carry":
            # the two's complement increment, as a table of the shift (a comparison per bit
            # would become a carry chain per bit); an ordinary adder, on an FPGA carry chain
            increment = Signal(signed(mbits), name="inte_increment")
            # (zero tested last: the other order trips an assertion in Yosys 0.70's abc9 pass
            # when synth_ecp5 maps the whole accelerator)
            with m.If(~zero):
                with m.Switch(shift):
                    for v in range(n_shifts):
                        with m.Case(v):
                            m.d.sync += increment.eq(Mux(sign, -(1 << v), 1 << v))
                    with m.Default():
                        m.d.sync += increment.eq(0)
            with m.Else():
                m.d.sync += increment.eq(0)
            return old + increment
        # prefix: bit i >= shift flips when every bit from the shift up to i - 1 is 1 (adding)
        # or 0 (subtracting), a prefix AND (Sklansky's network) that a standard-cell mapper
        # keeps shallow; the bits below the shift stay
        below = Signal(mbits, name="inte_below")  # bits below the shift, OR of its decode
        inte_sign = Signal(name="inte_sign")
        inte_zero = Signal(name="inte_zero")
        above, bits = 0, []
        for i in reversed(range(mbits)):
            bits.append(above)
            above = above | (shift == i)
        m.d.sync += [inte_sign.eq(sign), inte_zero.eq(zero), below.eq(Cat(*reversed(bits)))]
        run = (old.as_unsigned() ^ inte_sign.replicate(mbits)) | below
        prefix = [run[i] for i in range(mbits)]  # becomes AND(run[0..i])
        span = 1
        while span < mbits:
            for i in range(mbits):
                if i & span:
                    prefix[i] = prefix[i] & prefix[(i & ~(span - 1)) - 1]
            span <<= 1
        flips = [~inte_zero & ~below[i] & (prefix[i - 1] if i else 1) for i in range(mbits)]
        return old ^ Cat(*flips)

    def elaborate(self, platform):
        m = Module()
        mbits = self._mbits
        m.submodules.weights = weights = memory.Memory(
            shape=contract.CODE_BITS, depth=len(self._winit), init=self._winit)
        m.submodules.membrane = membrane = memory.Memory(
            shape=signed(mbits), depth=self._mdepth, init=[])
        m.submodules.decoder = decoder = WeightDecoder(
            frac_bits=self._F, time_bits=len(self.op.p.k))
        m.submodules.fire_unit = fire_unit = FireUnit(
            membrane_bits=mbits, threshold_bits=self._tbits, steps=self._T, rule=self._rule,
            coding=self._coding)

        w_rd = weights.read_port()
        u_rd = membrane.read_port()
        u_wr = membrane.write_port()
        w_wr = weights.write_port()
        m.d.comb += [
            w_wr.addr.eq(self.weight_load.p.addr), w_wr.data.eq(self.weight_load.p.data),
            w_wr.en.eq(self.weight_load.valid),
        ]

        # B and the fire unit's limits, registered once per channel group
        bias = Signal.like(self.param.p.bias, name="param_bias")
        limits = Signal.like(fire_unit.limits, name="param_limits")
        with m.If(self.param.valid):
            m.d.sync += [bias.eq(self.param.p.bias), limits.eq(self.param.p.limits)]

        # -- integrate: A reads the weight, B registers the code ------------------------------
        m.d.comb += [w_rd.addr.eq(self.op.p.waddr), w_rd.en.eq(1)]
        stages = "bcde"
        valid = {x: Signal(name=f"int{x}_valid") for x in stages}
        maddr = {x: Signal.like(self.op.p.maddr, name=f"int{x}_maddr") for x in stages}
        m.d.sync += [valid["b"].eq(~self.fire.phase & self.op.valid),
                     maddr["b"].eq(self.op.p.maddr)]
        for prev, nxt in zip(stages, stages[1:]):
            m.d.sync += [valid[nxt].eq(valid[prev]), maddr[nxt].eq(maddr[prev])]
        intb_k = Signal.like(self.op.p.k, name="intb_k")
        intc_k = Signal.like(self.op.p.k, name="intc_k")
        intc_code = Signal(contract.CODE_BITS, name="intc_code")
        m.d.sync += [intb_k.eq(self.op.p.k), intc_k.eq(intb_k), intc_code.eq(w_rd.data)]

        # -- integrate: C decodes the weight and reads the membrane, D expands the increment --
        # The increment crosses C/D in its decoded form (sign, shift, zero) and is expanded to
        # the membrane width in D (``_add_increment``): one wide register instead of two.
        m.d.comb += [decoder.code.eq(intc_code), decoder.k.eq(intc_k)]
        intd_sign = Signal(name="intd_sign")
        intd_zero = Signal(name="intd_zero")
        intd_shift = Signal.like(decoder.shift, name="intd_shift")
        m.d.sync += [intd_sign.eq(decoder.sign), intd_zero.eq(decoder.zero),
                     intd_shift.eq(decoder.shift)]
        # -- integrate: D registers the membrane, E adds and writes back ---------------------
        # The read in C does not see the writes of the two operations ahead (they are written
        # in the same and the next cycle). D registers the older of those in place of the read
        # on an address match, and E takes the newer one: back-to-back hits cost nothing, and
        # E has a single two-way choice in front of its adder.
        wrote = {"valid": Signal(name="fwd_valid"),
                 "addr": Signal.like(maddr["e"], name="fwd_addr"),
                 "data": Signal(signed(mbits), name="fwd_data")}  # the last cycle's write
        older = wrote["valid"] & (wrote["addr"] == maddr["d"])
        membrane_q = Signal(signed(mbits), name="membrane_q")
        with m.If(self.fire.phase):
            with m.If(self.fire.advance):
                m.d.sync += membrane_q.eq(u_rd.data)
        with m.Else():
            m.d.sync += membrane_q.eq(Mux(older, wrote["data"], u_rd.data))
        # the write of this cycle becomes E's previous write: its match is found in D
        newer = Signal(name="inte_hit")
        m.d.sync += newer.eq(u_wr.en & (u_wr.addr == maddr["d"]))
        old = Mux(newer, wrote["data"], membrane_q)
        updated = Signal(signed(mbits), name="inte_updated")
        m.d.comb += updated.eq(self._add_increment(m, old, intd_sign, intd_zero, intd_shift))

        # -- fire: 1 read issued, 2 membrane registered, 3 V = U + B registered, 4 k ------
        fire1_valid = Signal(name="fire1_valid")
        fire2_valid = Signal(name="fire2_valid")
        fire1_maddr = Signal.like(self.fire.maddr, name="fire1_maddr")
        with m.If(self.fire.advance):
            m.d.sync += [fire1_valid.eq(self.fire.valid), fire2_valid.eq(fire1_valid),
                         fire1_maddr.eq(self.fire.maddr),
                         self.k.eq(fire_unit.k), self.spike.eq(fire_unit.spike)]
            with m.If(fire2_valid):
                m.d.sync += self.value.eq(membrane_q + bias)
        m.d.comb += [fire_unit.value.eq(self.value), fire_unit.limits.eq(limits)]

        # -- membrane ports, shared by the phases -----------------------------------------
        with m.If(self.fire.phase):
            m.d.comb += [
                u_rd.addr.eq(self.fire.maddr),
                u_rd.en.eq(self.fire.advance),
                u_wr.addr.eq(fire1_maddr),
                u_wr.data.eq(0),
                u_wr.en.eq(self.fire.advance & fire1_valid),
            ]
        with m.Else():
            m.d.comb += [
                u_rd.addr.eq(maddr["c"]),
                u_rd.en.eq(1),
                u_wr.addr.eq(maddr["e"]),
                u_wr.data.eq(updated),
                u_wr.en.eq(valid["e"]),
            ]
        m.d.sync += [wrote["valid"].eq(u_wr.en), wrote["addr"].eq(u_wr.addr),
                     wrote["data"].eq(u_wr.data)]
        m.d.comb += self.idle.eq(~(valid["b"] | valid["c"] | valid["d"] | valid["e"]))
        return m
