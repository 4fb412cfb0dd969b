"""Spike router: the fan-out of each input event into synaptic operations for P cores."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from . import checks
from .arith import constant_product
from .config import KIND_CONV

__all__ = ["SpikeRouter"]


class SpikeRouter(wiring.Component):
    """Expands input events into synaptic operations, one operation bundle per cycle.

    Ports:
        layer  (in): index of the current layer: selects the constant multipliers below.
        desc   (in): descriptor of the current layer (held constant during the layer).
        events (in stream, event layout): input events of the layer.
        ops    (out stream, op layout): weight address, membrane address and spike time, the
               same for all P cores (each core applies them to its own channels).
        idle   (out): no event is held or being expanded.

    For a conv layer an event at (c, y, x) reaches the output rows
    ``oy in [ceil((y + p - K + 1) / s), floor((y + p) / s)]`` within the map (likewise columns),
    with kernel row ``ky = y + p - oy * s``; every position is sent once per channel group g,
    g innermost. For a dense layer the event reaches every group. An event that reaches nothing
    costs one cycle.

    Weight address = ``weight_base + g * fan_in + c * K * K + ky * K + kx`` (dense:
    ``weight_base + g * fan_in + (c * H + y) * W + x``); membrane address =
    ``g * positions + oy * W_out + ox``.

    Pipeline: an input register, two setup stages (ranges and the products ``c * K * K``,
    ``c * H * W``, ``y * W``; then ``ky * K``, ``oy * W_out`` and the start addresses), and the
    iterator. Every product is by a per-layer constant (a case over ``layer``) built from shifts
    and adds, so no multiplier is built. Each
    stage takes the next event when the one after it takes its own, so consecutive events
    follow without a bubble.

    Run-time mode (``config=None``, the processor's): the layer geometry is not known at
    generation, so there is no ``layer`` port and the products are multiplications by
    descriptor fields, which ``desc_layout`` must then also have: ``kernel_sq`` (K * K),
    ``in_hw`` (H * W of the map read) and ``in_w``. The pipeline and its timing are the same.
    """

    #: descriptor fields the run-time mode multiplies by (besides kernel and out_w)
    RUNTIME_FIELDS = ("kernel_sq", "in_hw", "in_w")

    def __init__(self, config, event_layout, op_layout, desc_layout):
        runtime = config is None
        layers = None if runtime else getattr(config, "layers", None)
        if not runtime and not layers:
            raise TypeError(f"config must have a non-empty descriptor table (layers), not "
                            f"{config!r}")
        checks.struct("event_layout", event_layout, ("c", "y", "x", "k"))
        checks.struct("op_layout", op_layout, ("waddr", "maddr", "k"))
        checks.struct("desc_layout", desc_layout, ("kind", "kernel", "stride", "padding",
                                                   "out_c", "out_h", "out_w", "groups",
                                                   "positions", "pool", "weight_base",
                                                   "param_base", "fan_in") +
                      (self.RUNTIME_FIELDS if runtime else ()))
        for d in layers or ():  # every descriptor must fit the table's fields
            for field in ("kernel", "padding", "out_c", "out_h", "out_w", "groups", "positions",
                          "weight_base", "param_base", "fan_in"):
                checks.fits("desc_layout", desc_layout, field, getattr(d, field))
        self._config = config
        self._ev = event_layout
        self._op = op_layout
        ports = {
            "desc": In(desc_layout),
            "events": In(stream.Signature(event_layout)),
            "ops": Out(stream.Signature(op_layout)),
            "idle": Out(1),
        }
        if not runtime:
            ports = {"layer": In(range(len(config.layers))), **ports}
        super().__init__(ports)

    @property
    def runtime(self):
        """Whether the products come from multipliers on descriptor fields."""
        return self._config is None

    def _times(self, m, value, factors, name, width):
        """``value * factors[layer]``: per layer, a sum of shifted copies of ``value`` (one per
        set bit of the constant), so that no multiplier block is inferred. In run-time mode
        ``factors`` is a descriptor field and this is a multiplication."""
        out = Signal(width, name=name)
        if self.runtime:
            m.d.comb += out.eq(value * factors)
            return out
        with m.Switch(self.layer):
            for i, f in enumerate(factors):
                with m.Case(i):
                    m.d.comb += out.eq(constant_product(value, f))
        return out

    def elaborate(self, platform):
        m = Module()
        d = self.desc
        ds = None if self.runtime else self._config.layers
        wbits = len(self.ops.p.waddr)
        mbits = len(self.ops.p.maddr)
        is_conv = d.kind == KIND_CONV

        # handshake chain: a stage takes new content when it is empty or its content moves on
        in_valid = Signal(name="in_valid")
        s1_valid = Signal(name="s1_valid")
        s2_valid = Signal(name="s2_valid")
        busy = Signal(name="iter_busy")

        # -- input register ------------------------------------------------------------------
        ev = Signal(self._ev, name="in_event")

        # -- setup 1: ranges, kernel offsets, products of the event coordinates ---------------
        def axis(pos, size_out):
            top = pos + d.padding  # y + p
            lo_num = top - d.kernel + 1  # may be negative
            lo = Mux(d.stride == 2, (lo_num + 1) >> 1, lo_num)  # ceil(lo_num / s)
            hi = Mux(d.stride == 2, top >> 1, top)
            lo_c = Mux(lo_num <= 0, 0, lo)
            hi_c = Mux(hi >= size_out, size_out - 1, hi)
            k0 = top - Mux(d.stride == 2, lo_c << 1, lo_c)  # kernel offset of the first output
            return lo_c, hi_c, k0

        oy_lo, oy_hi, ky0 = axis(ev.y, d.out_h)
        ox_lo, ox_hi, kx0 = axis(ev.x, d.out_w)
        if self.runtime:
            kk, in_hw, in_w, kernel, out_w = d.kernel_sq, d.in_hw, d.in_w, d.kernel, d.out_w
        else:
            kk = [l.kernel ** 2 for l in ds]
            in_hw = [l.in_h * l.in_w for l in ds]
            in_w = [l.in_w for l in ds]
            kernel = [l.kernel for l in ds]
            out_w = [l.out_w for l in ds]
        c_kk = self._times(m, ev.c, kk, "setup_c_kk", wbits)
        c_hw = self._times(m, ev.c, in_hw, "setup_c_hw", wbits)
        y_w = self._times(m, ev.y, in_w, "setup_y_w", wbits)
        s1 = {n: Signal(w, name=f"s1_{n}") for n, w in (
            ("oy_lo", d.out_h.shape()), ("oy_hi", d.out_h.shape()),
            ("ox_lo", d.out_w.shape()), ("ox_hi", d.out_w.shape()),
            ("ky0", d.kernel.shape()), ("kx0", d.kernel.shape()),
            ("c_kk", wbits), ("c_hw", wbits), ("y_w", wbits), ("x", ev.x.shape()),
            ("k", ev.k.shape()), ("conv", 1))}

        # -- setup 2: start addresses ------------------------------------------------------------
        ky0_k = self._times(m, s1["ky0"], kernel, "setup_ky0_k", wbits)
        oy_w = self._times(m, s1["oy_lo"], out_w, "setup_oy_w", mbits)
        s2 = {n: Signal(w, name=f"s2_{n}") for n, w in (
            ("oy_lo", d.out_h.shape()), ("oy_hi", d.out_h.shape()),
            ("ox_lo", d.out_w.shape()), ("ox_hi", d.out_w.shape()),
            ("kx0", d.kernel.shape()), ("wrow", wbits), ("mrow", mbits),
            ("k", ev.k.shape()), ("empty", 1))}

        # -- iterator ----------------------------------------------------------------------------
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
        take_s2 = ~busy | (step & last)
        take_s1 = ~s2_valid | take_s2
        take_in = ~s1_valid | take_s1
        m.d.comb += self.events.ready.eq(~in_valid | take_in)

        with m.If(self.events.ready):
            m.d.sync += [in_valid.eq(self.events.valid), ev.eq(self.events.p)]
        with m.If(take_in):
            m.d.sync += [
                s1_valid.eq(in_valid),
                s1["oy_lo"].eq(Mux(is_conv, oy_lo, 0)), s1["oy_hi"].eq(Mux(is_conv, oy_hi, 0)),
                s1["ox_lo"].eq(Mux(is_conv, ox_lo, 0)), s1["ox_hi"].eq(Mux(is_conv, ox_hi, 0)),
                s1["ky0"].eq(Mux(is_conv, ky0, 0)), s1["kx0"].eq(Mux(is_conv, kx0, 0)),
                s1["c_kk"].eq(c_kk), s1["c_hw"].eq(c_hw), s1["y_w"].eq(y_w), s1["x"].eq(ev.x),
                s1["k"].eq(ev.k), s1["conv"].eq(is_conv),
            ]
        with m.If(take_s1):
            m.d.sync += [
                s2_valid.eq(s1_valid),
                s2["oy_lo"].eq(s1["oy_lo"]), s2["oy_hi"].eq(s1["oy_hi"]),
                s2["ox_lo"].eq(s1["ox_lo"]), s2["ox_hi"].eq(s1["ox_hi"]),
                s2["kx0"].eq(s1["kx0"]),
                s2["wrow"].eq(d.weight_base + Mux(is_conv, s1["c_kk"] + ky0_k,
                                                  s1["c_hw"] + s1["y_w"] + s1["x"])),
                s2["mrow"].eq(oy_w),
                s2["k"].eq(s1["k"]),
                # an event whose row or column range is empty reaches nothing
                s2["empty"].eq(s1["conv"] & ((s1["oy_lo"] > s1["oy_hi"]) |
                                             (s1["ox_lo"] > s1["ox_hi"]))),
            ]
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
                                 it["wrow"].eq(it["wrow"] - (d.kernel << (d.stride == 2))),
                                 it["mrow"].eq(it["mrow"] + d.out_w)]
        with m.If(take_s2):
            m.d.sync += busy.eq(s2_valid)
            with m.If(s2_valid):
                m.d.sync += [
                    it["oy"].eq(s2["oy_lo"]), it["oy_hi"].eq(s2["oy_hi"]),
                    it["ox"].eq(s2["ox_lo"]), it["ox_lo"].eq(s2["ox_lo"]),
                    it["ox_hi"].eq(s2["ox_hi"]),
                    it["kx"].eq(s2["kx0"]), it["kx0"].eq(s2["kx0"]),
                    it["wrow"].eq(s2["wrow"]), it["mrow"].eq(s2["mrow"]),
                    it["g"].eq(0), it["woff"].eq(0), it["moff"].eq(0),
                    it["k"].eq(s2["k"]), it["empty"].eq(s2["empty"]),
                ]
        m.d.comb += self.idle.eq(~busy & ~s2_valid & ~s1_valid & ~in_valid)
        return m
