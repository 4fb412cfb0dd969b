"""TTFS fire unit: the first spike time of a membrane at the end of a layer."""

from amaranth.hdl import Module, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

__all__ = ["FireUnit", "FireLimits"]


class FireLimits:
    """What the fire unit needs of Theta: for each distinct c4 of the rule (``c4_values``), the
    inverted limit ``~(c4 * Theta - 1) = -(c4 * Theta)`` on ``threshold_bits + 2`` bits
    (``layout``). ``of(theta)`` computes them from an int (the generator's images, the input
    encoder's constants) or from an unsigned Value (the one shared hardware copy, in
    ``ParamMemory``), so both come from the same expression."""

    def __init__(self, *, threshold_bits, steps, rule):
        if not isinstance(threshold_bits, int) or threshold_bits < 1:
            raise ValueError(f"threshold_bits must be a positive integer, not {threshold_bits!r}")
        self._tb = threshold_bits
        self._c4 = contract.ttfs_c4(steps, rule)
        self._c4_values = tuple(sorted(set(self._c4)))
        self._layout = data.ArrayLayout(unsigned(threshold_bits + 2), len(self._c4_values))

    c4 = property(lambda self: list(self._c4), doc="c4[k] of every step k")
    c4_values = property(lambda self: self._c4_values, doc="the distinct c4, in layout order")
    layout = property(lambda self: self._layout)
    threshold_bits = property(lambda self: self._tb)

    def of(self, threshold):
        """The inverted limits of Theta: a list of ints, or of expressions to be assigned (and so
        truncated) to the elements of a ``layout`` value."""
        if isinstance(threshold, int):
            mask = (1 << (self._tb + 2)) - 1
            return [-(c4 * threshold) & mask for c4 in self._c4_values]
        theta = Value.cast(threshold)
        return [-{2: theta << 1, 3: (theta << 1) + theta, 4: theta << 2}[c4]
                for c4 in self._c4_values]


class FireUnit(wiring.Component):
    """Combinational fire rule ``k* = min{k : 4 * (V << k) >= c4[k] * Theta}`` (contract.ttfs_c4).

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

    Ports:
        value  (in, signed membrane_bits): V = U + B, the membrane with its bias.
        limits (in, ``FireLimits.layout``): ``FireLimits.of(Theta)``.
        k      (out): first spike time; T when there is no spike.
        spike  (out): 1 when k < T.
    """

    def __init__(self, *, membrane_bits, threshold_bits=None, steps, rule="round"):
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
        self._spec = FireLimits(threshold_bits=threshold_bits, steps=steps, rule=rule)
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
        c4 = self._spec.c4
        index = {v: i for i, v in enumerate(self._spec.c4_values)}
        positive = ~self.value[w - 1]
        magnitude = self.value[:w - 1]
        hits = []
        for k in range(self._T):
            inv = self.limits[index[c4[k]]]  # ~L on threshold_bits + 2 bits
            n = len(inv) - (k + 2)  # width of L >> (k + 2)
            if n <= 0:
                hits.append(positive & magnitude.any())  # L >> (k + 2) = 0
                continue
            above = magnitude[n:].any() if n < w - 1 else 0
            low = magnitude[:n] if n <= w - 1 else magnitude.as_unsigned()
            # V > X  <=>  carry out of V + ~X, on n bits
            carry = (low + inv[k + 2:])[n]
            hits.append(positive & (above | carry))
        m.d.comb += self.k.eq(self._T)
        for k in reversed(range(self._T)):  # the last assignment wins: the smallest k that hits
            with m.If(hits[k]):
                m.d.comb += self.k.eq(k)
        m.d.comb += self.spike.eq(self.k != self._T)
        return m
