"""Spike emitter: serialises a group of P lane results into one output per cycle."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from . import checks

__all__ = ["SpikeEmitter"]


class SpikeEmitter(wiring.Component):
    """Takes a group (a mask of lanes with a result, a payload per lane and a tag shared by the
    group) and sends one lane per cycle on ``out``, lowest lane first.

    Count mode (``count_field``, rate coding): the lane payload's field ``count_field`` holds a
    count N >= 1 (of a masked lane) and the lane is sent N times on consecutive transfers, the
    field replaced by t = 0..N-1, ``out.last`` on t = N - 1: a group sends the sum of its
    counts, one per cycle. (The alternative, one output carrying N, would need the cores to add
    N << shift and the trace to expand it; sending N keeps every event one transfer, the same
    events the golden model lists, and costs the emitter a counter.)

    Ports:
        group_valid (in): a group is offered.  group_mask (in, lanes).
        group_lanes (in, lanes x lane layout).  group_tag (in, tag layout).
        stall (out): the emitter cannot take a group this cycle; the fire pipeline freezes.
               It is 1 while more than one output is pending, or one is pending and ``out``
               is not ready: a group of m outputs costs max(1, m) cycles of the fire pipeline.
        out (out stream): {lane, tag, payload, last}: ``last`` marks a lane's last output
               (always 1 without ``count_field``).
        idle (out): nothing pending.
    """

    def __init__(self, *, lanes, lane_layout, tag_layout, count_field=None):
        checks.integer("lanes", lanes, 1)
        for name, layout in (("lane_layout", lane_layout), ("tag_layout", tag_layout)):
            if not isinstance(layout, data.Layout):
                raise TypeError(f"{name} must be a data.Layout, not {layout!r}")
        if count_field is not None:
            checks.struct("lane_layout", lane_layout, (count_field,))
        self._lanes = lanes
        self._count = count_field
        lane_arr = data.ArrayLayout(lane_layout, lanes)
        self._out_layout = data.StructLayout({"lane": range(lanes), "tag": tag_layout,
                                              "payload": lane_layout, "last": 1})
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
        sent = self.out.valid & self.out.ready
        if self._count is None:
            m.d.comb += self.out.p.last.eq(1)
        else:
            # t counts the outputs of the lowest pending lane; the stall also covers its
            # remaining outputs (from a compare on registers)
            field = self._count
            t = Signal.like(getattr(self.out.p.payload, field), name="emit_t")
            count = Signal.like(t, name="emit_count")
            for p in reversed(range(self._lanes)):
                with m.If(lowest[p]):
                    m.d.comb += count.eq(getattr(lanes[p], field))
            m.d.comb += [self.out.p.last.eq(t == count - 1),
                         getattr(self.out.p.payload, field).eq(t),
                         self.stall.eq(many | nonzero & (~self.out.ready | ~self.out.p.last))]
            with m.If(sent):
                m.d.sync += t.eq(Mux(self.out.p.last, 0, t + 1))
        following = Signal.like(pending, name="emit_following")
        m.d.comb += following.eq(pending)
        with m.If(sent & self.out.p.last):
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
