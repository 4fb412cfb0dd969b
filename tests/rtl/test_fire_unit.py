"""FireUnit against contract.ttfs_fire, at and around every threshold of both rules."""

import numpy as np
import pytest

from golden import contract
from rtl.fire_unit import FireLimits, FireUnit
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("T,rule,tbits", [(1, "round", None), (4, "floor", None),
                                           (8, "round", None), (16, "round", None),
                                           (8, "round", 18), (16, "floor", 12), (8, "round", 3)])
def test_matches_contract(T, rule, tbits):
    bits = 24
    dut = FireUnit(membrane_bits=bits, threshold_bits=tbits, steps=T, rule=rule)
    rng = np.random.default_rng(T)
    cases = []
    c4 = contract.ttfs_c4(T, rule)
    tmax = 1 << (tbits or 18)
    for theta in [1, 2, 3, tmax - 1] + [int(t) for t in rng.integers(1, tmax, size=40)]:
        for k in range(T):
            edge = -(-c4[k] * theta // (4 << k))  # smallest U firing at k
            cases += [(edge - 1, theta), (edge, theta), (edge + 1, theta)]
        cases.append((int(rng.integers(-(1 << 23), 1 << 23)), theta))

    async def bench(ctx):
        for u, theta in cases:
            ctx.set(dut.value, u)
            ctx.set(dut.limits, dut.limits_spec.of(theta))
            await ctx.delay(1e-9)
            want = int(contract.ttfs_fire(u, theta, T, rule))
            assert ctx.get(dut.k) == want, (u, theta)
            assert ctx.get(dut.spike) == (want < T)

    simulate(dut, bench)


def test_limits_of_a_value_matches_the_int():
    """The hardware expression of the inverted limits equals the int version (ParamMemory and the
    input encoder use the two)."""
    from amaranth.hdl import Signal
    spec = FireLimits(threshold_bits=19, steps=8, rule="round")
    theta = Signal(19)
    out = Signal(spec.layout)
    values = [1, 2, 255, (1 << 19) - 1, 12345]

    async def bench(ctx):
        for t in values:
            ctx.set(theta, t)
            await ctx.delay(1e-9)
            assert [ctx.get(out[i]) for i in range(len(spec.c4_values))] == spec.of(t)

    from amaranth.hdl import Module
    m = Module()
    for i, limit in enumerate(spec.of(theta)):
        m.d.comb += out[i].eq(limit)
    simulate(m, bench)
