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


@pytest.mark.parametrize("seed,lanes", [(3, 1), (4, 4), (5, 8)])
def test_count_mode_sends_each_lane_its_count(seed, lanes):
    """Rate coding: a lane of count N leaves N times (t = 0..N-1, last on N - 1), and the
    stall covers every pending output: a group of m outputs costs max(1, m) cycles."""
    comp, params = BENCH.build(seed, lanes=lanes, counts=True)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["groups"] == 80 and stats["results"] > 80
