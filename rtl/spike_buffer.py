"""Spike buffer: an event memory written in order and streamed back out."""

from amaranth.hdl import Module, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["SpikeBuffer"]


class SpikeBuffer(wiring.Component):
    """Holds one layer's events; the accelerator uses two, ping-pong.

    Ports:
        write  (in stream, always ready): appends the event at ``count``.
        clear  (in): empties the buffer (count = 0) and stops any read-out.
        start  (in): streams events 0..count-1 out on ``read`` (from the next cycle).
        read   (out stream): the events, in write order, honouring back-pressure.
        count  (out): events held.
        done   (out): 1 when no read-out is in progress.

    The memory has a synchronous read port; its enable is held low while ``read`` is stalled, so
    the read data stays valid without a skid buffer.
    """

    def __init__(self, layout, *, depth):
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, not {depth!r}")
        self._layout = layout
        self._depth = depth
        cbits = depth.bit_length()
        super().__init__({
            "write": In(stream.Signature(layout, always_ready=True)),
            "clear": In(1),
            "start": In(1),
            "read": Out(stream.Signature(layout)),
            "count": Out(cbits),
            "done": Out(1, init=1),
        })

    @property
    def depth(self):
        return self._depth

    def elaborate(self, platform):
        m = Module()
        m.submodules.events = mem = memory.Memory(shape=self._layout, depth=self._depth, init=[])
        wr = mem.write_port()
        rd = mem.read_port()

        m.d.comb += [wr.addr.eq(self.count), wr.data.eq(self.write.p),
                     wr.en.eq(self.write.valid)]
        with m.If(self.write.valid):
            m.d.sync += self.count.eq(self.count + 1)

        read_index = Signal(len(self.count), name="read_index")
        advance = ~self.read.valid | self.read.ready
        m.d.comb += [rd.addr.eq(read_index), rd.en.eq(advance), self.read.payload.eq(rd.data)]
        with m.If(self.start):
            m.d.sync += [read_index.eq(0), self.done.eq(0), self.read.valid.eq(0)]
        with m.Elif(~self.done & advance):
            last = read_index == self.count
            m.d.sync += self.read.valid.eq(~last)
            with m.If(last):
                m.d.sync += self.done.eq(1)
            with m.Else():
                m.d.sync += read_index.eq(read_index + 1)
        with m.If(self.clear):
            m.d.sync += [self.count.eq(0), self.done.eq(1), self.read.valid.eq(0)]
        return m
