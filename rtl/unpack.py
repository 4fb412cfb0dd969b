"""Unpacker: the data beats of a memory request cut into units of another width."""

from math import gcd

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .axi import beat_layout
from .checks import integer

__all__ = ["BeatUnpacker", "unit_layout"]


def unit_layout(unit_bits):
    """One unit: ``data``; ``last``, 1 on the final unit of a request."""
    return data.StructLayout({"data": unit_bits, "last": 1})


class BeatUnpacker(wiring.Component):
    """Turns the beats of ``rtl.axi.AxiBurstReader`` (``data_bits`` each) into units of
    ``unit_bits``, least significant bits first, wider or narrower than a beat (a 512-bit
    descriptor over a 32-bit bus, 8-bit pixels over a 128-bit bus, 40-bit weight rows over a
    64-bit bus).

    Ports:
        beats (in stream, ``rtl.axi.beat_layout``): a request's beats, ``last`` on its final
            beat, whose ``bytes`` (1..data_bits/8) low bytes are the request's (the rest is
            dropped).
        units (out stream, ``unit_layout``): a request of ``n`` bytes gives
            ``ceil(8 n / unit_bits)`` units, in order, ``last`` on the final one; if the request
            ends inside a unit, that final unit's missing high bits are 0 (the loaders ask for
            whole units, so it does not happen in the processor). Units never mix two requests.

    Throughput: one unit per cycle when ``unit_bits <= data_bits``, one beat per cycle when
    ``unit_bits >= data_bits`` (with ``units.ready`` high). ``units.valid`` and its payload come
    from registers; ``beats.ready`` depends on ``units.ready`` (a beat is taken in the cycle
    the unit that makes room for it leaves).

    Reset: empty (no unit valid, ready for a request's first beat).

    How: a bit buffer holds the bits not yet sent, from bit 0. A beat is written at the fill
    position once fewer than ``unit_bits`` bits would remain, so the fill before a write is a
    multiple of ``g = gcd(data_bits, unit_bits)`` below ``unit_bits``: the write is a
    ``unit_bits / g``-way choice of fixed shifts (a 512-bit unit over a 32-bit bus: 16 places;
    8-bit pixels over a 128-bit bus: 1), not a barrel shifter.
    The buffer is ``unit_bits + data_bits - g`` bits.
    """

    def __init__(self, *, data_bits, unit_bits):
        integer("data_bits", data_bits, 8, 1024)
        if data_bits % 8:
            raise ValueError(f"data_bits must be a multiple of 8, not {data_bits!r}")
        integer("unit_bits", unit_bits, 1, 4096)
        self.data_bits, self.unit_bits = data_bits, unit_bits
        self.step = gcd(data_bits, unit_bits)
        self.buffer_bits = unit_bits + data_bits - self.step
        super().__init__({
            "beats": In(stream.Signature(beat_layout(data_bits))),
            "units": Out(stream.Signature(unit_layout(unit_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        D, U, g, B = self.data_bits, self.unit_bits, self.step, self.buffer_bits
        buf = Signal(B, name="buffer")        # bits >= fill are 0
        fill = Signal(range(B + 1), name="fill")
        ending = Signal(name="ending")        # the request's final beat is in the buffer

        # Output: whole units, and after the final beat whatever is left (zero-padded).
        m.d.comb += [
            self.units.valid.eq((fill >= U) | (ending & (fill != 0))),
            self.units.payload.data.eq(buf[:U]),
            self.units.payload.last.eq(ending & (fill <= U)),
        ]
        sent = self.units.valid & self.units.ready
        ends = sent & self.units.payload.last

        # The state after this cycle's unit leaves.
        buf_left = Signal(B, name="buffer_left")
        fill_left = Signal(range(B + 1), name="fill_left")
        m.d.comb += [buf_left.eq(buf), fill_left.eq(fill)]
        with m.If(sent):  # (the final unit leaves the buffer empty: bits >= fill are 0)
            m.d.comb += [buf_left.eq(buf >> U), fill_left.eq(Mux(ends, 0, fill - U))]
        ending_left = ending & ~ends

        beat = self.beats.payload
        m.d.comb += self.beats.ready.eq(~ending_left & (fill_left < U))
        m.d.sync += [buf.eq(buf_left), fill.eq(fill_left), ending.eq(ending_left)]
        with m.If(self.beats.valid & self.beats.ready):
            # the final beat's bytes past the request are dropped (kept 0: the padding)
            keep = Cat((~beat.last | (i < beat.bytes)).replicate(8) for i in range(D // 8))
            kept = Signal(D, name="kept")
            m.d.comb += kept.eq(beat.data & keep)
            written = Signal(B, name="written")
            with m.Switch(fill_left):
                for place in range(0, U, g):
                    with m.Case(place):
                        m.d.comb += written.eq(kept << place)
            count = Signal(range(D + 1), name="count")
            m.d.comb += count.eq(Const(D, range(D + 1)))
            with m.If(beat.last):
                m.d.comb += count.eq(beat.bytes << 3)
            m.d.sync += [buf.eq(buf_left | written), fill.eq(fill_left + count),
                         ending.eq(beat.last)]
        return m
