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
