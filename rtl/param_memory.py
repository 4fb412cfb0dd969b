"""Parameter memory: the bias B and threshold Theta of every output channel of every layer."""

from amaranth.hdl import Cat, Module, Signal, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .fire_unit import FireLimits, times
from .layouts import address, param_layout

__all__ = ["ParamMemory"]


class ParamMemory(wiring.Component):
    """One memory shared by the P cores: entry ``(param_base[l] + g) * P + p`` holds
    ``{bias, threshold}`` of output channel ``g * P + p`` of layer ``l``. The sequencer reads
    one entry per cycle at the start of each channel group and hands it to core ``p``; sharing
    one memory keeps the per-core state at two registers instead of a table per core.

    The read side also turns Theta into the fire unit's limits (``FireLimits.of``), and in
    rate coding (``coding="rate"``) B into the bias term Theta/2 + T * B
    (``contract.rate_initial_membrane``, shifts and adds), once for all cores, behind a
    register so that the memory's output only feeds that register.

    Ports:
        read_addr, read_en (in) / read_data (out, ``layouts.param_layout``: bias term and
            limits): the entry read at one enabled cycle is on ``read_data`` after the second
            (``READ_LATENCY``); everything holds while ``read_en`` is 0.
        write (in stream, always ready): ``{entry, half, data}`` writes the bias (half 0) or the
            threshold (half 1) of one entry (host load port); ``data`` is truncated to the
            field (``bias_bits`` signed, ``threshold_bits`` unsigned): the host checks the range.
    """

    #: enabled cycles from an address to its entry on ``read_data``
    READ_LATENCY = 2

    def __init__(self, *, bias_bits, threshold_bits, steps, rule, bias_init, threshold_init,
                 coding="ttfs"):
        if len(bias_init) != len(threshold_init):
            raise ValueError("bias_init and threshold_init must have the same length")
        for name, v in (("bias_bits", bias_bits), ("threshold_bits", threshold_bits)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        for b in bias_init:
            if not -(1 << (bias_bits - 1)) <= b < (1 << (bias_bits - 1)):
                raise ValueError(f"bias {b} does not fit bias_bits {bias_bits}")
        for t in threshold_init:
            if not 1 <= t < (1 << threshold_bits):
                raise ValueError(f"threshold {t} outside 1..{(1 << threshold_bits) - 1} "
                                 f"(threshold_bits {threshold_bits})")
        self._bbits = bias_bits
        self._tbits = threshold_bits
        self._half = max(bias_bits, threshold_bits)  # both fields in halves of one width
        self._limits = FireLimits(threshold_bits=threshold_bits, steps=steps, rule=rule,
                                  coding=coding)
        self._coding = coding
        self._T = steps
        self._depth = len(bias_init)
        mask = (1 << self._half) - 1
        self._init = [(b & mask) | (t << self._half) for b, t in zip(bias_init, threshold_init)]
        self._write_layout = data.StructLayout({"entry": address(self._depth), "half": 1,
                                                "data": self._half})
        super().__init__({
            "read_addr": In(address(self._depth)),
            "read_en": In(1),
            "read_data": Out(param_layout(bias_bits=bias_bits, threshold_bits=threshold_bits,
                                          steps=steps, rule=rule, coding=coding)),
            "write": In(stream.Signature(self._write_layout, always_ready=True)),
        })

    @property
    def depth(self):
        return self._depth

    def elaborate(self, platform):
        m = Module()
        h = self._half
        m.submodules.entries = mem = memory.Memory(shape=unsigned(2 * h), depth=self._depth,
                                                  init=self._init)
        rd = mem.read_port()
        wr = mem.write_port(granularity=h)
        read_bias = Signal(signed(self._bbits), name="read_bias")
        read_theta = Signal(unsigned(self._tbits), name="read_theta")
        with m.If(self.read_en):
            m.d.sync += [read_bias.eq(rd.data[:self._bbits]),
                         read_theta.eq(rd.data[h:h + self._tbits])]
        if self._coding == "rate":
            m.d.comb += self.read_data.bias.eq(times(read_bias, self._T) + (read_theta >> 1))
        else:
            m.d.comb += self.read_data.bias.eq(read_bias)
        for i, limit in enumerate(self._limits.of(read_theta)):
            m.d.comb += self.read_data.limits[i].eq(limit)  # truncated to the limit's width
        m.d.comb += [
            rd.addr.eq(self.read_addr), rd.en.eq(self.read_en),
            wr.addr.eq(self.write.p.entry),
            wr.data.eq(Cat(self.write.p.data, self.write.p.data)),
            wr.en.eq(Cat(self.write.valid & ~self.write.p.half,
                         self.write.valid & self.write.p.half)),
        ]
        return m
