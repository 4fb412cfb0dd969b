"""Parameter memory: the bias B and threshold Theta of every output channel of every layer."""

from amaranth.hdl import Cat, Module, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .neuron_core import param_layout

__all__ = ["ParamMemory"]


class ParamMemory(wiring.Component):
    """One memory shared by the P cores: entry ``(param_base[l] + g) * P + p`` holds
    ``{bias, threshold}`` of output channel ``g * P + p`` of layer ``l``. The sequencer reads
    one entry per cycle at the start of each channel group and hands it to core ``p``; sharing
    one memory keeps the per-core state at two registers instead of a table per core.

    Ports:
        read_addr, read_en (in) / read_data (out, param layout): synchronous read, data held
            while ``read_en`` is 0.
        write (in stream, always ready): ``{entry, half, data}`` writes the bias (half 0) or the
            threshold (half 1) of one entry (host load port).
    """

    def __init__(self, *, membrane_bits, bias_init, threshold_init):
        if len(bias_init) != len(threshold_init):
            raise ValueError("bias_init and threshold_init must have the same length")
        self._mbits = membrane_bits
        self._depth = len(bias_init)
        mask = (1 << membrane_bits) - 1
        self._init = [(b & mask) | ((t & mask) << membrane_bits)
                      for b, t in zip(bias_init, threshold_init)]
        abits = max(1, (self._depth - 1).bit_length())
        self._write_layout = data.StructLayout({"entry": abits, "half": 1,
                                                "data": membrane_bits})
        super().__init__({
            "read_addr": In(abits),
            "read_en": In(1),
            "read_data": Out(param_layout(membrane_bits)),
            "write": In(stream.Signature(self._write_layout, always_ready=True)),
        })

    @property
    def depth(self):
        return self._depth

    def elaborate(self, platform):
        m = Module()
        m.submodules.entries = mem = memory.Memory(shape=unsigned(2 * self._mbits),
                                                  depth=self._depth, init=self._init)
        rd = mem.read_port()
        wr = mem.write_port(granularity=self._mbits)
        m.d.comb += [
            rd.addr.eq(self.read_addr), rd.en.eq(self.read_en),
            self.read_data.as_value().eq(rd.data),
            wr.addr.eq(self.write.p.entry),
            wr.data.eq(Cat(self.write.p.data, self.write.p.data)),
            wr.en.eq(Cat(self.write.valid & ~self.write.p.half,
                         self.write.valid & self.write.p.half)),
        ]
        return m
