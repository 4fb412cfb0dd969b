"""WeightDecoder, exhaustively over all 32 codes and every spike time, against the contract."""

import pytest

from golden import contract
from rtl.weight_decoder import WeightDecoder
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("T", [1, 4, 8, 16])
def test_all_codes_all_k(T):
    F = contract.min_frac_bits("ttfs", T)
    dut = WeightDecoder(frac_bits=F, time_bits=contract.time_bits(T))

    async def bench(ctx):
        for code in range(32):
            for k in range(T):
                ctx.set(dut.code, code)
                ctx.set(dut.k, k)
                await ctx.delay(1e-9)
                e = int(contract.code_exponent(code))
                assert ctx.get(dut.sign) == int(contract.code_sign(code))
                assert ctx.get(dut.zero) == (e == contract.ZERO_EXP)
                if e != contract.ZERO_EXP:
                    assert ctx.get(dut.shift) == int(contract.synapse_shift(e, k, F))
                    assert 1 << ctx.get(dut.shift) == \
                        abs(int(contract.code_values(code))) << (F - 14 - k)

    simulate(dut, bench)
