"""FireUnit against contract.ttfs_fire, at and around every threshold of both rules."""

import pytest

from rtl.fire_unit import FireLimits
from verif.amaranth_sim import simulate
from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["fire_unit"]


@pytest.mark.parametrize("T,rule,tbits", [(1, "round", None), (4, "floor", None),
                                           (8, "round", None), (16, "round", None),
                                           (8, "round", 18), (16, "floor", 12), (8, "round", 3)])
def test_matches_contract(T, rule, tbits):
    """U at and around the edge of every step for 44 thresholds, and random U
    (``verif.benches.fire_unit``, the body cocotb runs too)."""
    comp, params = BENCH.build(T, T=T, rule=rule, threshold_bits=tbits)
    assert run_amaranth(comp, BENCH.body, params)["checked"] == 44 * (3 * T + 1)


@pytest.mark.parametrize("T,tbits", [(1, None), (2, None), (4, 12), (8, None), (16, 18),
                                     (8, 3)])
def test_rate_count_matches_contract(T, tbits):
    """Rate coding: the count N = clip(floor(V / Theta), 0, T) at and around every N * Theta,
    and random V, negative ones included."""
    comp, params = BENCH.build(T, T=T, threshold_bits=tbits, coding="rate")
    assert run_amaranth(comp, BENCH.body, params)["checked"] == 44 * (3 * T + 1)


@pytest.mark.parametrize("coding,T", [("ttfs", 8), ("rate", 8), ("rate", 5)])
def test_limits_of_a_value_matches_the_int(coding, T):
    """The hardware expression of the inverted limits equals the int version (ParamMemory and the
    input encoder use the two)."""
    from amaranth.hdl import Signal
    spec = FireLimits(threshold_bits=19, steps=T, rule="round", coding=coding)
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
