"""FireUnit against contract.ttfs_fire, at and around every threshold of both rules."""

import numpy as np
import pytest

from golden import contract
from rtl.fire_unit import FireUnit
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("T,rule", [(1, "round"), (4, "floor"), (8, "round"), (16, "round")])
def test_matches_contract(T, rule):
    bits = 24
    dut = FireUnit(membrane_bits=bits, steps=T, rule=rule)
    rng = np.random.default_rng(T)
    cases = []
    c4 = contract.ttfs_c4(T, rule)
    for _ in range(40):
        theta = int(rng.integers(1, 1 << 18))
        for k in range(T):
            edge = -(-c4[k] * theta // (4 << k))  # smallest U firing at k
            cases += [(edge - 1, theta), (edge, theta), (edge + 1, theta)]
        cases.append((int(rng.integers(-(1 << 23), 1 << 23)), theta))

    async def bench(ctx):
        for u, theta in cases:
            ctx.set(dut.value, u)
            for i, c4v in enumerate(dut.c4_values):
                ctx.set(dut.limits[i], FireUnit.limit(theta, c4v))
            await ctx.delay(1e-9)
            want = int(contract.ttfs_fire(u, theta, T, rule))
            assert ctx.get(dut.k) == want, (u, theta)
            assert ctx.get(dut.spike) == (want < T)

    simulate(dut, bench)
