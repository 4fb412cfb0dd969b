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


@pytest.mark.parametrize("T,shape", [(8, (4, 8, 8)), (2, (4, 8, 8)), (3, (3, 5, 7)),
                                     (16, (1, 4, 4))])
def test_rate_counts_every_pixel_value(T, shape):
    """Rate coding: n = floor((2 x T + 255) / 510) events t = 0..n-1 per pixel, ``last`` on
    the pixel's last, under random valid and ready."""
    comp, params = BENCH.build(T, T=T, rule="round", shape=shape, coding="rate")
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["pixels"] == shape[0] * shape[1] * shape[2] and stats["events"] > 0
