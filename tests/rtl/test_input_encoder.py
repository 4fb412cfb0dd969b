"""InputEncoder: every pixel value, with random valid and ready, against contract.encode_input
(``verif.benches.input_encoder``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["input_encoder"]


@pytest.mark.parametrize("T,rule,shape", [(8, "round", (4, 8, 8)), (3, "floor", (4, 8, 8)),
                                          (1, "round", (4, 8, 8)), (4, "round", (3, 5, 7))])
def test_all_pixel_values(T, rule, shape):
    comp, params = BENCH.build(T, T=T, rule=rule, shape=shape)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["pixels"] == shape[0] * shape[1] * shape[2] and stats["events"] > 0
