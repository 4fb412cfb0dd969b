"""Earliest-spike max-pool over 2x2 windows, on the fly during the fire phase."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from . import checks

__all__ = ["EarliestSpikePool"]


class EarliestSpikePool(wiring.Component):
    """Per lane, the smallest spike time over the steps of a window (TTFS max-pool is exact: the
    quantiser is monotone, so the largest value is the earliest spike).

    Ports:
        advance (in): the fire pipeline moves this cycle.
        valid   (in): ``k`` holds a step of the current window.
        first   (in): the step opens a window.  last (in): the step closes it (both 1 when not
                      pooling).
        k       (in, lanes x time bits): spike time of each lane (T = no spike).
        out_valid (out): the window closes this cycle; ``out_k`` holds its earliest spikes.
        out_k   (out, lanes x time bits).
    """

    def __init__(self, *, lanes, time_bits):
        checks.integer("lanes", lanes, 1)
        checks.integer("time_bits", time_bits, 1)
        self._lanes = lanes
        lane_k = data.ArrayLayout(time_bits, lanes)
        super().__init__({
            "advance": In(1), "valid": In(1), "first": In(1), "last": In(1),
            "k": In(lane_k),
            "out_valid": Out(1),
            "out_k": Out(lane_k),
        })

    def elaborate(self, platform):
        m = Module()
        earliest = Signal(self.k.shape(), name="pool_earliest")
        for p in range(self._lanes):
            seen = Mux(self.first, self.k[p], Mux(earliest[p] < self.k[p], earliest[p],
                                                  self.k[p]))
            m.d.comb += self.out_k[p].eq(seen)
            with m.If(self.advance & self.valid):
                m.d.sync += earliest[p].eq(seen)
        m.d.comb += self.out_valid.eq(self.valid & self.last)
        return m
