"""SpikeEmitter: groups of lanes with random masks, random ``out`` ready: lowest lane first,
the group's tag and lane payloads, and the documented ``stall`` on every cycle
(``verif.benches.spike_emitter``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["spike_emitter"]


@pytest.mark.parametrize("seed,lanes", [(0, 1), (1, 4), (2, 8)])
def test_groups_leave_lowest_lane_first(seed, lanes):
    comp, params = BENCH.build(seed, lanes=lanes)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["groups"] == 80 and stats["results"] > 0
