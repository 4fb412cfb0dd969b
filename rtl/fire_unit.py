"""Fire unit: the first spike time (TTFS) or the spike count (rate) of a membrane at the end of
a layer."""

from amaranth.hdl import Module, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

__all__ = ["FireUnit", "FireLimits", "times"]


def times(value, n):
    """``value * n`` for a constant ``n`` >= 1 as a sum of shifts (no multiplier cell): an int,
    or an expression of a Value."""
    if isinstance(value, int):
        return value * n
    value = Value.cast(value)
    terms = [value << i for i in range(n.bit_length()) if n >> i & 1]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


class FireLimits:
    """What the fire unit needs of Theta, as inverted limits ``~(M * Theta - 1) = -(M * Theta)``
    (``layout``): TTFS, for each distinct c4 of the rule (``c4_values``), ``M = c4`` on
    ``threshold_bits + 2`` bits; rate coding, ``M = 1..T`` (a count of N needs V >= N * Theta)
    on ``threshold_bits + ceil(log2 T)`` bits. ``of(theta)`` computes them from an int (the
    generator's images, the input encoder's constants) or from an unsigned Value (the one
    shared hardware copy, in ``ParamMemory``), so both come from the same expression."""

    def __init__(self, *, threshold_bits, steps, rule, coding="ttfs"):
        if not isinstance(threshold_bits, int) or threshold_bits < 1:
            raise ValueError(f"threshold_bits must be a positive integer, not {threshold_bits!r}")
        if coding not in contract.CODINGS:
            raise ValueError(f"coding must be one of {', '.join(contract.CODINGS)}, "
                             f"not {coding!r}")
        self._tb = threshold_bits
        self._coding = coding
        if coding == "ttfs":
            self._c4 = contract.ttfs_c4(steps, rule)
            self._multiples = tuple(sorted(set(self._c4)))
            self._bits = threshold_bits + 2
        else:
            self._c4 = None
            self._multiples = tuple(range(1, steps + 1))
            self._bits = threshold_bits + (steps - 1).bit_length()
        self._layout = data.ArrayLayout(unsigned(self._bits), len(self._multiples))

    c4 = property(lambda self: list(self._c4), doc="c4[k] of every step k (TTFS)")
    c4_values = property(lambda self: self._multiples,
                         doc="the multiples M of Theta, in layout order (TTFS: the distinct c4)")
    layout = property(lambda self: self._layout)
    threshold_bits = property(lambda self: self._tb)
    coding = property(lambda self: self._coding)

    def of(self, threshold):
        """The inverted limits of Theta: a list of ints, or of expressions to be assigned (and so
        truncated) to the elements of a ``layout`` value."""
        if isinstance(threshold, int):
            mask = (1 << self._bits) - 1
            return [-(n * threshold) & mask for n in self._multiples]
        return [-times(threshold, n) for n in self._multiples]


class FireUnit(wiring.Component):
    """Combinational fire rule ``k* = min{k : 4 * (V << k) >= c4[k] * Theta}`` (contract.ttfs_c4),
    or in rate coding (``coding="rate"``) the count ``N = clip(floor(V / Theta), 0, T)``
    (``contract.rate_fire``): the largest N in 1..T with ``V >= N * Theta``, the same T parallel
    tests against the limits ``N * Theta - 1`` (0 when none hits), so a count costs no cycle
    more than a spike time.

    With Theta > 0 and the *limit* ``L = c4 * Theta - 1``, the rule at step k is
    ``V > L >> (k + 2)``. The T tests run in parallel and a priority encoder picks the smallest
    k. Each test is one carry chain and nothing else: on ``n`` bits, ``A > X`` is the carry out
    of ``A + ~X``, so the unit takes the limits *inverted*, ``~L = -(c4 * Theta)``, and the bits
    of V above the test's width only need an OR. That keeps a test at about one logic cell per
    bit on iCE40 and ECP5 (an ordinary comparator also spends a LUT per bit on the inversion).
    The limits depend only on Theta, so they are computed once per channel group outside the
    unit (``ParamMemory``; the input encoder's are constants).

    Parameters:
        membrane_bits: width of V (signed).
        threshold_bits: Theta is an unsigned ``threshold_bits``-bit number (>= 1).
        steps, rule: T and the contract's fire rule.
        coding: "ttfs" (default) or "rate".

    Ports:
        value  (in, signed membrane_bits): V = U + B, the membrane with its bias (rate coding:
               U + Theta/2 + T * B, ``contract.rate_initial_membrane``).
        limits (in, ``FireLimits.layout``): ``FireLimits.of(Theta)``.
        k      (out): TTFS: first spike time, T when there is no spike; rate: the count N.
        spike  (out): 1 when the neuron fires (TTFS: k < T; rate: N > 0).
    """

    def __init__(self, *, membrane_bits, threshold_bits=None, steps, rule="round",
                 coding="ttfs"):
        if not isinstance(steps, int) or not 1 <= steps <= contract.T_MAX:
            raise ValueError(f"steps (T) must be an integer in 1..{contract.T_MAX}, not {steps!r}")
        if not isinstance(membrane_bits, int) or not 2 <= membrane_bits <= 48:
            raise ValueError(f"membrane_bits must be an integer in 2..48, not {membrane_bits!r}")
        if threshold_bits is None:
            threshold_bits = membrane_bits - 1
        if not isinstance(threshold_bits, int) or not 1 <= threshold_bits <= membrane_bits - 1:
            raise ValueError(f"threshold_bits must be an integer in 1..{membrane_bits - 1} "
                             f"(membrane_bits - 1), not {threshold_bits!r}")
        self._T = steps
        self._w = membrane_bits
        self._spec = FireLimits(threshold_bits=threshold_bits, steps=steps, rule=rule,
                                coding=coding)
        self._coding = coding
        super().__init__({
            "value": In(signed(membrane_bits)),
            "limits": In(self._spec.layout),
            "k": Out(unsigned(contract.time_bits(steps + 1))),
            "spike": Out(1),
        })

    @property
    def limits_spec(self):
        """The ``FireLimits`` of the ``limits`` port."""
        return self._spec

    def elaborate(self, platform):
        m = Module()
        w = self._w
        rate = self._coding == "rate"
        index = {v: i for i, v in enumerate(self._spec.c4_values)}
        positive = ~self.value[w - 1]
        magnitude = self.value[:w - 1]
        hits = []
        for k in range(self._T):
            # TTFS step k: V > L >> (k + 2), L = c4[k] * Theta - 1; rate count k + 1:
            # V > L, L = (k + 1) * Theta - 1
            inv = self.limits[k if rate else index[self._spec.c4[k]]]  # ~L
            drop = 0 if rate else k + 2
            n = len(inv) - drop  # width of L >> drop
            if n <= 0:
                hits.append(positive & magnitude.any())  # L >> (k + 2) = 0
                continue
            above = magnitude[n:].any() if n < w - 1 else 0
            low = magnitude[:n] if n <= w - 1 else magnitude.as_unsigned()
            # V > X  <=>  carry out of V + ~X, on n bits
            carry = (low + inv[drop:])[n]
            hits.append(positive & (above | carry))
        if rate:  # the tests are monotone in N: the last one that hits is the count
            for k in range(self._T):
                with m.If(hits[k]):
                    m.d.comb += self.k.eq(k + 1)
            m.d.comb += self.spike.eq(hits[0])
            return m
        m.d.comb += self.k.eq(self._T)
        for k in reversed(range(self._T)):  # the last assignment wins: the smallest k that hits
            with m.If(hits[k]):
                m.d.comb += self.k.eq(k)
        m.d.comb += self.spike.eq(self.k != self._T)
        return m
