"""WeightDecoder, exhaustively over all 32 codes and every value of the k port, against the
contract (``verif.benches.weight_decoder``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["weight_decoder"]


@pytest.mark.parametrize("T,F", [(1, None), (4, None), (8, None), (16, None), (16, 30)])
def test_all_codes_all_k(T, F):
    comp, params = BENCH.build(0, T=T, F=F)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["checked"] == 32 * (1 << len(comp.k))

