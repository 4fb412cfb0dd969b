"""EarliestSpikePool: windows of 4 steps and of 1, random bubbles and freezes with junk inputs:
each window's earliest spike per lane (``verif.benches.earliest_spike_pool``, the body cocotb
runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["earliest_spike_pool"]


@pytest.mark.parametrize("seed,lanes,T", [(0, 1, 1), (1, 3, 6), (2, 8, 16)])
def test_earliest_spike_of_each_window(seed, lanes, T):
    comp, params = BENCH.build(seed, lanes=lanes, T=T)
    assert run_amaranth(comp, BENCH.body, params)["windows"] == len(params["windows"])
