"""TTFS fire unit: the first spike time of a membrane at the end of a layer."""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden import contract

__all__ = ["FireUnit"]


class FireUnit(wiring.Component):
    """Combinational fire rule ``k* = min{k : 4 * (V << k) >= c4[k] * Theta}`` (contract.ttfs_c4).

    Ports:
        value     (in, signed membrane_bits): V = U + B, the membrane with its bias.
        threshold (in, signed membrane_bits): Theta (positive).
        k         (out): first spike time; T when there is no spike.
        spike     (out): 1 when k < T.

    The T comparisons run in parallel, each of V against a constant right shift of
    ``c4 * Theta - 1`` (no wider than the membrane), and a priority encoder picks the smallest k.
    """

    def __init__(self, *, membrane_bits, steps, rule="round"):
        if not isinstance(steps, int) or not 1 <= steps <= contract.T_MAX:
            raise ValueError(f"steps (T) must be an integer in 1..{contract.T_MAX}, not {steps!r}")
        if not isinstance(membrane_bits, int) or not 2 <= membrane_bits <= 48:
            raise ValueError(f"membrane_bits must be an integer in 2..48, not {membrane_bits!r}")
        self._T = steps
        self._c4 = contract.ttfs_c4(steps, rule)
        self._w = membrane_bits
        super().__init__({
            "value": In(signed(membrane_bits)),
            "threshold": In(signed(membrane_bits)),
            "k": Out(unsigned(contract.time_bits(steps + 1))),
            "spike": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        T = self._T
        # 4 * (V << k) >= c4 * Theta  <=>  V > (c4 * Theta - 1) >> (k + 2)   (Theta > 0):
        # one (c4 * Theta - 1) per distinct c4, then narrow comparisons of V against its shifts
        theta = self.threshold.as_unsigned()[:-1]  # Theta is positive
        limits = {c4: Signal(unsigned(len(theta) + 2), name=f"limit{c4}")
                  for c4 in sorted(set(self._c4))}
        for c4, limit in limits.items():
            m.d.comb += limit.eq(theta * c4 - 1)
        hits = [self.value > (limits[self._c4[k]] >> (k + 2)) for k in range(T)]
        m.d.comb += self.k.eq(T)
        for k in reversed(range(T)):  # the last assignment wins: the smallest k that hits
            with m.If(hits[k]):
                m.d.comb += self.k.eq(k)
        m.d.comb += self.spike.eq(self.k != T)
        return m
