"""NeuronCore: host weight loads, random synaptic operations (with back-to-back hits on one
membrane), then a fire scan in random groups with random pipeline freezes, against a model
built on the contract (``verif.benches.neuron_core``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["neuron_core"]


@pytest.mark.parametrize("seed,T,adder,narrow,depths", [
    (0, 1, "carry", False, (40, 12)), (1, 5, "carry", True, (32, 16)),
    (2, 8, "carry", False, (32, 16)), (3, 3, "prefix", True, (40, 12)),
    (4, 8, "prefix", False, (32, 16)), (5, 4, "carry", True, (32, 16))])
def test_integrate_then_fire(seed, T, adder, narrow, depths):
    comp, params = BENCH.build(seed, T=T, adder=adder, narrow=narrow, weight_depth=depths[0],
                               membrane_depth=depths[1])
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["fired"] >= params["rounds"] * depths[1] and stats["back_to_back_hits"] > 0

