"""Spike emitter: serialises a group of P lane results into one output per cycle."""

from amaranth.hdl import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from . import checks

__all__ = ["SpikeEmitter"]


class SpikeEmitter(wiring.Component):
    """Takes a group (a mask of lanes with a result, a payload per lane and a tag shared by the
    group) and sends one lane per cycle on ``out``, lowest lane first.

    Ports:
        group_valid (in): a group is offered.  group_mask (in, lanes).
        group_lanes (in, lanes x lane layout).  group_tag (in, tag layout).
        stall (out): the emitter cannot take a group this cycle; the fire pipeline freezes.
               It is 1 while more than one lane is pending, or one is pending and ``out`` is
               not ready: a group of m results costs max(1, m) cycles of the fire pipeline.
        out (out stream): {lane, tag, payload}.
        idle (out): nothing pending.
    """

    def __init__(self, *, lanes, lane_layout, tag_layout):
        checks.integer("lanes", lanes, 1)
        for name, layout in (("lane_layout", lane_layout), ("tag_layout", tag_layout)):
            if not isinstance(layout, data.Layout):
                raise TypeError(f"{name} must be a data.Layout, not {layout!r}")
        self._lanes = lanes
        lane_arr = data.ArrayLayout(lane_layout, lanes)
        self._out_layout = data.StructLayout({"lane": range(lanes), "tag": tag_layout,
                                              "payload": lane_layout})
        super().__init__({
            "group_valid": In(1),
            "group_mask": In(lanes),
            "group_lanes": In(lane_arr),
            "group_tag": In(tag_layout),
            "stall": Out(1),
            "out": Out(stream.Signature(self._out_layout)),
            "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        pending = Signal(self._lanes, name="emit_pending")
        # whether pending is non-zero / has two or more bits, kept as registers so that the
        # stall that freezes the whole fire pipeline starts at a flip-flop
        nonzero = Signal(name="emit_nonzero")
        many = Signal(name="emit_many")
        lanes = Signal(self.group_lanes.shape(), name="emit_lanes")
        tag = Signal(self.group_tag.shape(), name="emit_tag")
        lowest = pending & -pending  # one-hot of the lowest pending lane
        m.d.comb += [
            self.out.valid.eq(nonzero),
            self.out.p.tag.eq(tag),
            self.stall.eq(many | (nonzero & ~self.out.ready)),
            self.idle.eq(~nonzero),
        ]
        for p in reversed(range(self._lanes)):
            with m.If(lowest[p]):
                m.d.comb += [self.out.p.lane.eq(p), self.out.p.payload.eq(lanes[p])]
        following = Signal.like(pending, name="emit_following")
        m.d.comb += following.eq(pending)
        with m.If(self.out.valid & self.out.ready):
            m.d.comb += following.eq(pending & ~lowest)
        with m.If(self.group_valid & ~self.stall):
            m.d.comb += following.eq(self.group_mask)
            m.d.sync += [lanes.eq(self.group_lanes), tag.eq(self.group_tag)]
        # two or more bits: some bit with a set bit below it (two LUT levels, no carry chain)
        below = 0
        two = 0
        for p in range(self._lanes):
            two = two | (following[p] & below)
            below = below | following[p]
        m.d.sync += [pending.eq(following), nonzero.eq(following != 0), many.eq(two)]
        return m
