"""Spike buffer: an event memory written in order and streamed back out."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from . import checks

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

    Repeat mode (``repeat_field``, rate coding): an entry whose field holds r is read out r + 1
    times on consecutive transfers, the field replaced by 0..r. A rate-coded neuron that fires
    N times is written once, by its last event (t = N - 1), and read out as its N events: the
    buffer holds a neuron per entry (``count``: neurons) at any T, and the reader sees every
    event as it would from N entries, in the same cycles.
    """

    def __init__(self, layout, *, depth, repeat_field=None):
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, not {depth!r}")
        if repeat_field is not None:
            checks.struct("layout", layout, (repeat_field,))
        self._layout = layout
        self._depth = depth
        self._repeat = repeat_field
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
        m.d.comb += [rd.addr.eq(read_index), self.read.payload.eq(rd.data)]
        if self._repeat is not None:
            # the copy being read out: the next entry only after the copy r
            field = self._repeat
            copy = Signal.like(getattr(rd.data, field), name="read_copy")
            last_copy = copy == getattr(rd.data, field)
            m.d.comb += getattr(self.read.payload, field).eq(copy)
            with m.If(self.read.valid & self.read.ready):
                m.d.sync += copy.eq(Mux(last_copy, 0, copy + 1))
            with m.If(self.start):
                m.d.sync += copy.eq(0)
            advance = ~self.read.valid | self.read.ready & last_copy
        m.d.comb += rd.en.eq(advance)
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
