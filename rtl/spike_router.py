"""Spike router: the fan-out of each input event into synaptic operations for P cores."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .config import KIND_CONV

__all__ = ["SpikeRouter", "descriptor_layout"]


def _w(n):
    return max(1, int(n).bit_length())


def descriptor_layout(config):
    """The fields of a layer descriptor that the datapath reads (see config.LayerDescriptor)."""
    ds = config.layers
    mx = lambda f: max(getattr(d, f) for d in ds)  # noqa: E731
    return data.StructLayout({
        "kind": 2,
        "in_h": _w(mx("in_h")), "in_w": _w(mx("in_w")),
        "in_hw": _w(max(d.in_h * d.in_w for d in ds)),
        "kernel": _w(mx("kernel")), "kk": _w(max(d.kernel ** 2 for d in ds)),
        "stride": 2, "padding": _w(mx("padding")),
        "out_c": _w(mx("out_c")), "out_h": _w(mx("out_h")), "out_w": _w(mx("out_w")),
        "groups": _w(mx("groups")), "positions": _w(mx("positions")),
        "pool": 1,
        "weight_base": _w(config.weight_depth), "param_base": _w(config.param_depth),
        "fan_in": _w(mx("fan_in")),
    })


def descriptor_value(config, d):
    """The constant a descriptor table entry holds."""
    return {"kind": d.kind, "in_h": d.in_h, "in_w": d.in_w, "in_hw": d.in_h * d.in_w,
            "kernel": d.kernel, "kk": d.kernel ** 2, "stride": d.stride, "padding": d.padding,
            "out_c": d.out_c, "out_h": d.out_h, "out_w": d.out_w, "groups": d.groups,
            "positions": d.positions,
            "pool": d.pool, "weight_base": d.weight_base, "param_base": d.param_base,
            "fan_in": d.fan_in}


class SpikeRouter(wiring.Component):
    """Expands input events into synaptic operations, one operation bundle per cycle.

    Ports:
        desc   (in): descriptor of the current layer (held constant during the layer).
        events (in stream, event layout): input events of the layer.
        ops    (out stream, op layout): weight address, membrane address and spike time, the
               same for all P cores (each core applies them to its own channels).
        idle   (out): no event is being expanded.

    For a conv layer an event at (c, y, x) reaches the output rows
    ``oy in [ceil((y + p - K + 1) / s), floor((y + p) / s)]`` within the map (likewise columns),
    with kernel row ``ky = y + p - oy * s``; every position is sent once per channel group g,
    g innermost. For a dense layer the event reaches every group. An event that reaches nothing
    costs one cycle. A setup stage computes the ranges of the next event while the iterator
    expands the current one, so consecutive events follow without a bubble.

    Weight address = ``weight_base + g * fan_in + c * K * K + ky * K + kx`` (dense:
    ``weight_base + g * fan_in + i`` with ``i = (c * H + y) * W + x``); membrane address =
    ``g * positions + oy * W_out + ox``.
    """

    def __init__(self, event_layout, op_layout, desc_layout):
        self._ev = event_layout
        self._op = op_layout
        super().__init__({
            "desc": In(desc_layout),
            "events": In(stream.Signature(event_layout)),
            "ops": Out(stream.Signature(op_layout)),
            "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        d = self.desc
        wbits = len(self.ops.p.waddr)
        mbits = len(self.ops.p.maddr)
        ev = self.events.p

        # -- setup stage: ranges of one event -----------------------------------------------
        def axis(pos, size_out):
            top = pos + d.padding  # y + p
            lo_num = top - d.kernel + 1  # may be negative
            lo = Mux(d.stride == 2, (lo_num + 1) >> 1, lo_num)  # ceil(lo_num / s)
            hi = Mux(d.stride == 2, top >> 1, top)
            lo_c = Mux(lo_num <= 0, 0, lo)
            hi_c = Mux(hi >= size_out, size_out - 1, hi)
            return lo_c, hi_c, top

        setup_valid = Signal(name="setup_valid")
        setup = {n: Signal(w, name=f"setup_{n}") for n, w in (
            ("oy_lo", d.out_h.shape()), ("oy_hi", d.out_h.shape()),
            ("ox_lo", d.out_w.shape()), ("ox_hi", d.out_w.shape()),
            ("kx0", d.kernel.shape()), ("wrow", wbits), ("mrow", mbits),
            ("k", ev.k.shape()), ("empty", 1))}

        oy_lo, oy_hi, ytop = axis(ev.y, d.out_h)
        ox_lo, ox_hi, xtop = axis(ev.x, d.out_w)
        is_conv = d.kind == KIND_CONV
        ky0 = ytop - oy_lo * d.stride
        kx0 = xtop - ox_lo * d.stride
        conv_wrow = d.weight_base + ev.c * d.kk + ky0 * d.kernel
        dense_wrow = d.weight_base + ev.c * d.in_hw + ev.y * d.in_w + ev.x
        empty = is_conv & ((oy_lo > oy_hi) | (ox_lo > ox_hi))

        # -- iterator stage ------------------------------------------------------------------
        busy = Signal(name="iter_busy")
        it = {n: Signal(w, name=f"iter_{n}") for n, w in (
            ("oy", d.out_h.shape()), ("oy_hi", d.out_h.shape()),
            ("ox", d.out_w.shape()), ("ox_lo", d.out_w.shape()), ("ox_hi", d.out_w.shape()),
            ("kx", d.kernel.shape()), ("kx0", d.kernel.shape()),
            ("wrow", wbits), ("mrow", mbits), ("g", d.groups.shape()),
            ("woff", wbits), ("moff", mbits), ("k", ev.k.shape()), ("empty", 1))}

        last_g = it["g"] == d.groups - 1
        last_x = it["ox"] == it["ox_hi"]
        last_y = it["oy"] == it["oy_hi"]
        last = it["empty"] | (last_g & last_x & last_y)
        m.d.comb += [
            self.ops.valid.eq(busy & ~it["empty"]),
            self.ops.p.waddr.eq(it["wrow"] + it["kx"] + it["woff"]),
            self.ops.p.maddr.eq(it["moff"] + it["mrow"] + it["ox"]),
            self.ops.p.k.eq(it["k"]),
        ]
        step = busy & (self.ops.ready | it["empty"])
        take = ~busy | (step & last)  # the iterator takes the setup stage's event
        with m.If(step):
            with m.If(~last_g):
                m.d.sync += [it["g"].eq(it["g"] + 1), it["woff"].eq(it["woff"] + d.fan_in),
                             it["moff"].eq(it["moff"] + d.positions)]
            with m.Else():
                m.d.sync += [it["g"].eq(0), it["woff"].eq(0), it["moff"].eq(0)]
                with m.If(~last_x):
                    m.d.sync += [it["ox"].eq(it["ox"] + 1), it["kx"].eq(it["kx"] - d.stride)]
                with m.Else():
                    m.d.sync += [it["ox"].eq(it["ox_lo"]), it["kx"].eq(it["kx0"]),
                                 it["oy"].eq(it["oy"] + 1),
                                 it["wrow"].eq(it["wrow"] - d.stride * d.kernel),
                                 it["mrow"].eq(it["mrow"] + d.out_w)]
        with m.If(take):
            m.d.sync += busy.eq(setup_valid)
            with m.If(setup_valid):
                m.d.sync += [
                    it["oy"].eq(setup["oy_lo"]), it["oy_hi"].eq(setup["oy_hi"]),
                    it["ox"].eq(setup["ox_lo"]), it["ox_lo"].eq(setup["ox_lo"]),
                    it["ox_hi"].eq(setup["ox_hi"]),
                    it["kx"].eq(setup["kx0"]), it["kx0"].eq(setup["kx0"]),
                    it["wrow"].eq(setup["wrow"]), it["mrow"].eq(setup["mrow"]),
                    it["g"].eq(0), it["woff"].eq(0), it["moff"].eq(0),
                    it["k"].eq(setup["k"]), it["empty"].eq(setup["empty"]),
                ]

        # the setup stage refills whenever the iterator takes its content (or it is empty)
        setup_free = ~setup_valid | take
        m.d.comb += self.events.ready.eq(setup_free)
        with m.If(setup_free):
            m.d.sync += setup_valid.eq(self.events.valid)
            m.d.sync += [
                setup["oy_lo"].eq(Mux(is_conv, oy_lo, 0)), setup["oy_hi"].eq(Mux(is_conv, oy_hi, 0)),
                setup["ox_lo"].eq(Mux(is_conv, ox_lo, 0)), setup["ox_hi"].eq(Mux(is_conv, ox_hi, 0)),
                setup["kx0"].eq(Mux(is_conv, kx0, 0)),
                setup["wrow"].eq(Mux(is_conv, conv_wrow, dense_wrow)),
                setup["mrow"].eq(Mux(is_conv, oy_lo * d.out_w, 0)),
                setup["k"].eq(ev.k), setup["empty"].eq(empty),
            ]
        m.d.comb += self.idle.eq(~busy & ~setup_valid)
        return m
