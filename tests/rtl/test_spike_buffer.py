"""SpikeBuffer: random writes with gaps, read-out with random back-pressure, replay, clear
mid-read and reuse (``verif.benches.spike_buffer``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["spike_buffer"]


@pytest.mark.parametrize("seed,depth,sizes", [(1, 40, (40, 0, 17)), (2, 37, ()), (3, 1, (1, 0))])
def test_write_read_clear(seed, depth, sizes):
    comp, params = BENCH.build(seed, depth=depth, sizes=sizes)
    assert run_amaranth(comp, BENCH.body, params)["events"] >= sum(sizes)


@pytest.mark.parametrize("seed,depth,sizes", [(4, 40, (40, 0, 17)), (5, 37, ()), (6, 1, (1, 0))])
def test_repeat_mode_reads_each_entry_k_plus_one_times(seed, depth, sizes):
    """Rate coding: an entry written with k = N - 1 reads out as N events k = 0..N-1, under
    back-pressure, replay and a clear mid-read."""
    comp, params = BENCH.build(seed, depth=depth, sizes=sizes, repeat=True)
    assert run_amaranth(comp, BENCH.body, params)["events"] > sum(sizes)
