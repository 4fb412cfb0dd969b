# amaranth: UnusedElaboratable=no
"""ParamMemory: host writes of either half mixed with reads under a random enable: read
latency, hold, truncation to the fields, and the fire unit's limits of Theta
(``verif.benches.param_memory``, the body cocotb runs too)."""

import pytest

from rtl.param_memory import ParamMemory
from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["param_memory"]


@pytest.mark.parametrize("seed,bias_bits,threshold_bits,T,rule,coding", [
    (0, 9, 12, 8, "round", "ttfs"), (1, 16, 6, 4, "floor", "ttfs"), (2, 1, 1, 1, "round", "ttfs"),
    (3, 9, 12, 8, "round", "rate"), (4, 16, 6, 3, "round", "rate"),
    (5, 2, 14, 2, "round", "rate")])
def test_reads_and_writes(seed, bias_bits, threshold_bits, T, rule, coding):
    """(rate: the bias term Theta/2 + T * B and the limits of N * Theta, N = 1..T)"""
    comp, params = BENCH.build(seed, bias_bits=bias_bits, threshold_bits=threshold_bits, T=T,
                               rule=rule, coding=coding)
    assert run_amaranth(comp, BENCH.body, params)["checked"] > 300


@pytest.mark.parametrize("kw,message", [
    ({"bias_init": [0, 0], "threshold_init": [1]}, "same length"),
    ({"bias_bits": 0}, "bias_bits must be a positive integer, not 0"),
    ({"bias_init": [128]}, "bias 128 does not fit bias_bits 8"),
    ({"threshold_init": [0]}, r"threshold 0 outside 1\.\.255"),
])
def test_parameters_are_validated(kw, message):
    args = dict(bias_bits=8, threshold_bits=8, steps=4, rule="round", bias_init=[0],
                threshold_init=[1])
    with pytest.raises(ValueError, match=message):
        ParamMemory(**dict(args, **kw))
