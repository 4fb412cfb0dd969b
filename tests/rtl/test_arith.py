"""Products by constants without multipliers (``rtl.arith``)."""

import pytest
from amaranth.hdl import Const, Module, Signal
from amaranth.sim import Simulator

from rtl.arith import constant_product


@pytest.mark.parametrize("factor", [0, 1, 3, 8, 20, 37])
def test_constant_product_is_the_product(factor):
    value = Signal(6)
    out = Signal(12)
    m = Module()
    m.d.comb += out.eq(constant_product(value, factor))
    seen = []

    async def bench(ctx):
        for v in range(64):
            ctx.set(value, v)
            seen.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [v * factor for v in range(64)]


def test_constant_product_builds_no_multiplication():
    """A sum of shifted copies: no ``*`` in the expression."""
    assert "*" not in repr(constant_product(Signal(4), 5)) and "+" in repr(
        constant_product(Signal(4), 5))
    assert constant_product(Const(3, 4), 0) == 0


@pytest.mark.parametrize("factor", [-1, 2.0, True])
def test_constant_product_rejects_a_bad_factor(factor):
    with pytest.raises(ValueError, match="factor must be an integer >= 0"):
        constant_product(Signal(4), factor)
