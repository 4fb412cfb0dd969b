"""Beats of a memory read to units of the processor's image (header, pixel, parameter entry,
weight row)."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from . import checks

__all__ = ["BeatUnpacker", "beat_layout"]


def beat_layout(data_bits):
    """A beat of the memory master's ``data`` stream: ``data_bits`` of data (the lowest byte
    is at the lowest address) and ``last`` on a request's final beat."""
    return data.StructLayout({"data": data_bits, "last": 1})


class BeatUnpacker(wiring.Component):
    """Cuts the beats of one read request into units of ``unit_bits``, lowest bits first;
    units may straddle beats and may be wider than a beat.

    Ports:
        beats (in stream, ``beat_layout``): the request's data.
        units (out stream, ``unit_bits``): a unit is valid once all its bits have arrived.
        flush (in): the consumer took the request's last unit: the bits left (the tail of the
            final beat past the request's end) are dropped. Assert it only after the unit
            that ends the request was taken (its final beat has then arrived).

    A beat is taken when the bits held, after this cycle's unit, leave room for it; after the
    beat with ``last`` none is taken until ``flush``, so that the tail of one request is never
    mixed with the next one's data.
    """

    def __init__(self, *, data_bits, unit_bits):
        checks.integer("data_bits", data_bits, 8)
        checks.integer("unit_bits", unit_bits, 1)
        self._dbits = data_bits
        self._ubits = unit_bits
        super().__init__({
            "beats": In(stream.Signature(beat_layout(data_bits))),
            "units": Out(stream.Signature(unit_bits)),
            "flush": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        D, U = self._dbits, self._ubits
        held = Signal(D + U, name="unpack_held")
        count = Signal(range(D + U + 1), name="unpack_count")  # bits held
        ended = Signal(name="unpack_ended")  # the request's last beat is held
        m.d.comb += [self.units.valid.eq(count >= U), self.units.payload.eq(held[:U])]
        took = self.units.valid & self.units.ready
        left = Signal.like(count, name="unpack_left")
        rest = Signal.like(held, name="unpack_rest")
        m.d.comb += [left.eq(Mux(took, count - U, count)), rest.eq(Mux(took, held >> U, held))]
        m.d.comb += self.beats.ready.eq(~ended & (left <= U))
        with m.If(self.flush):
            m.d.sync += [held.eq(0), count.eq(0), ended.eq(0)]  # bits above count stay 0
        with m.Elif(self.beats.valid & self.beats.ready):
            m.d.sync += [held.eq(rest | (self.beats.p.data << left)), count.eq(left + D),
                         ended.eq(self.beats.p.last)]
        with m.Else():
            m.d.sync += [held.eq(rest), count.eq(left)]
        return m
