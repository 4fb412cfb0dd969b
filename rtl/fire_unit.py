"""TTFS fire unit: the first spike time of a membrane at the end of a layer."""

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

__all__ = ["FireUnit"]


class FireUnit(wiring.Component):
    """Combinational fire rule ``k* = min{k : 4 * (V << k) >= c4[k] * Theta}`` (contract.ttfs_c4).

    With Theta > 0 the rule is ``V > (c4[k] * Theta - 1) >> (k + 2)``: the T comparisons run in
    parallel, each of V against a constant right shift of a *limit* ``c4 * Theta - 1`` (no wider
    than the membrane), and a priority encoder picks the smallest k. The limits depend only on
    Theta, so a neuron core computes them once per channel group and registers them
    (``FireUnit.limit``); the input encoder's are constants.

    Ports:
        value  (in, signed membrane_bits): V = U + B, the membrane with its bias.
        limits (in, one per distinct c4 in ``c4_values``): ``c4 * Theta - 1``.
        k      (out): first spike time; T when there is no spike.
        spike  (out): 1 when k < T.
    """

    def __init__(self, *, membrane_bits, steps, rule="round"):
        if not isinstance(steps, int) or not 1 <= steps <= contract.T_MAX:
            raise ValueError(f"steps (T) must be an integer in 1..{contract.T_MAX}, not {steps!r}")
        if not isinstance(membrane_bits, int) or not 2 <= membrane_bits <= 48:
            raise ValueError(f"membrane_bits must be an integer in 2..48, not {membrane_bits!r}")
        self._T = steps
        self._c4 = contract.ttfs_c4(steps, rule)
        self._c4_values = tuple(sorted(set(self._c4)))
        self._w = membrane_bits
        super().__init__({
            "value": In(signed(membrane_bits)),
            "limits": In(data.ArrayLayout(unsigned(membrane_bits + 2), len(self._c4_values))),
            "k": Out(unsigned(contract.time_bits(steps + 1))),
            "spike": Out(1),
        })

    @property
    def c4_values(self):
        """The distinct multipliers c4, in the order of ``limits``."""
        return self._c4_values

    @staticmethod
    def limit(threshold, c4):
        """``c4 * Theta - 1`` by shifts and adds (an int, or a Value of a positive Theta)."""
        return {2: threshold << 1, 3: (threshold << 1) + threshold, 4: threshold << 2}[c4] - 1

    def elaborate(self, platform):
        m = Module()
        index = {c4: i for i, c4 in enumerate(self._c4_values)}
        hits = [self.value > (self.limits[index[self._c4[k]]] >> (k + 2))
                for k in range(self._T)]
        m.d.comb += self.k.eq(self._T)
        for k in reversed(range(self._T)):  # the last assignment wins: the smallest k that hits
            with m.If(hits[k]):
                m.d.comb += self.k.eq(k)
        m.d.comb += self.spike.eq(self.k != self._T)
        return m
