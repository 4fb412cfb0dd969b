"""Input encoder: uint8 pixels to the events of the input map (first spikes, or rate counts)."""

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from . import checks
from .fire_unit import FireUnit, times

__all__ = ["InputEncoder"]


class InputEncoder(wiring.Component):
    """``contract.encode_input``: TTFS applies the contract's fire rule with U = pixel and
    Theta = 255 to each pixel; rate coding (``coding="rate"``) counts
    n = floor((2 x T + 255) / 510) with the count-mode ``FireUnit`` (V = 2 T x + 255,
    Theta = 510) and sends n events t = 0..n-1.

    Ports:
        start  (in): expect a new image (C*H*W pixels in C, H, W order).
        pixels (in stream, 8 bits): the image.
        events (out stream, event layout): TTFS, one event (c, y, x, k) per pixel that spikes;
               rate, n events (c, y, x, t) of a pixel, t = 0..n-1 on consecutive transfers. A
               pixel that does not spike (n = 0) sends none.
        last   (out): the event on ``events`` is its pixel's last (always 1 in TTFS).
        done   (out): all pixels of the image have been taken (the last event may still wait
               in the ``events`` register).

    ``events`` is registered; ``pixels`` is taken whenever that register is free or sends its
    pixel's last event: one pixel per cycle, a pixel of n > 1 events per n cycles.

    Run-time mode (``runtime=True``, the processor's): ``shape`` is the largest (C, H, W) and
    the image's is on the inputs ``in_c``, ``in_h``, ``in_w`` (each >= 1, held from ``start``
    to ``done``).
    """

    def __init__(self, layout, *, shape, steps, rule, runtime=False, coding="ttfs"):
        checks.struct("layout", layout, ("c", "y", "x", "k"))
        if not isinstance(shape, (tuple, list)) or len(shape) != 3:
            raise ValueError(f"shape must be (C, H, W), not {shape!r}")
        for axis, size in zip("CHW", shape):
            checks.integer(f"shape {axis}", size, 1)
        checks.integer("steps (T)", steps, 1, contract.T_MAX)
        if rule not in contract.FIRE_RULES:
            raise ValueError(f"rule must be one of {', '.join(contract.FIRE_RULES)}, not {rule!r}")
        if coding not in contract.CODINGS:
            raise ValueError(f"coding must be one of {', '.join(contract.CODINGS)}, "
                             f"not {coding!r}")
        for field, most in zip("cyxk", (*[n - 1 for n in shape], steps - 1)):
            checks.fits("layout", layout, field, most)
        self._coding = coding
        self._layout = layout
        self._shape = tuple(shape)
        self._T = steps
        self._rule = rule
        self._runtime = bool(runtime)
        sizes = {f"in_{a}": In(range(1, n + 1)) for a, n in zip("chw", shape)} if runtime else {}
        super().__init__({
            **sizes,
            "start": In(1),
            "pixels": In(stream.Signature(8)),
            "events": Out(stream.Signature(layout)),
            "last": Out(1, init=1),
            "done": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        C, H, W = self._shape
        if self._runtime:
            C, H, W = self.in_c, self.in_h, self.in_w
        rate = self._coding == "rate"
        T = self._T
        if rate:
            # n = floor((2 x T + 255) / 510): the count-mode fire unit with V = 2 T x + 255
            value = times(self.pixels.payload, 2 * T) + contract.INPUT_THETA
            theta = 2 * contract.INPUT_THETA
            bits = contract.signed_width(2 * T * 255 + contract.INPUT_THETA)
        else:
            value, theta, bits = self.pixels.payload, contract.INPUT_THETA, 10
        m.submodules.fire_unit = fire = FireUnit(
            membrane_bits=bits, threshold_bits=theta.bit_length(), steps=T, rule=self._rule,
            coding=self._coding)
        c = Signal(range(self._shape[0]), name="pixel_c")
        y = Signal(range(self._shape[1]), name="pixel_y")
        x = Signal(range(self._shape[2]), name="pixel_x")
        m.d.comb += fire.value.eq(value)
        m.d.comb += fire.limits.eq(fire.limits.shape().const(fire.limits_spec.of(theta)))

        if rate:
            # the pixel's events: t counts up to count - 1 (``last``)
            count = Signal.like(fire.k, name="pixel_count")
            t = self.events.p.k
            m.d.comb += self.last.eq(t == count - 1)
            free = ~self.events.valid | self.events.ready & self.last
            with m.If(self.events.valid & self.events.ready & ~self.last):
                m.d.sync += t.eq(t + 1)
        else:
            # driven, not left at its reset value: an undriven output port is 'z' in the
            # emitted Verilog (Icarus) or 0 (Verilator)
            m.d.comb += self.last.eq(1)
            free = ~self.events.valid | self.events.ready
        m.d.comb += self.pixels.ready.eq(~self.done & free)
        with m.If(self.events.ready & free):
            m.d.sync += self.events.valid.eq(0)
        with m.If(self.pixels.valid & self.pixels.ready):
            m.d.sync += [
                self.events.valid.eq(fire.spike),
                self.events.p.c.eq(c), self.events.p.y.eq(y), self.events.p.x.eq(x),
                self.events.p.k.eq(0 if rate else fire.k),
            ]
            if rate:
                m.d.sync += count.eq(fire.k)
            with m.If(x == W - 1):
                m.d.sync += x.eq(0)
                with m.If(y == H - 1):
                    m.d.sync += y.eq(0)
                    with m.If(c == C - 1):
                        m.d.sync += [c.eq(0), self.done.eq(1)]
                    with m.Else():
                        m.d.sync += c.eq(c + 1)
                with m.Else():
                    m.d.sync += y.eq(y + 1)
            with m.Else():
                m.d.sync += x.eq(x + 1)
        with m.If(self.start):
            m.d.sync += [self.done.eq(0), c.eq(0), y.eq(0), x.eq(0)]
        return m
