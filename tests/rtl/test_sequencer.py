"""LayerSequencer on its own: the phase FSM and the fire scan of a network with every layer
kind, under random status inputs and emitter stalls, against the documented scan order and
parameter timing (``verif.benches.layer_sequencer``, the body cocotb runs too)."""

import pytest

from verif.benches import BENCHES, fire_scan
from verif.simio import run_amaranth

BENCH = BENCHES["layer_sequencer"]


@pytest.mark.parametrize("seed,P", [(0, 1), (1, 3), (2, 8)])
def test_phases_scan_and_parameter_loads(seed, P):
    comp, params = BENCH.build(seed, P=P)
    cfg = params["config"]
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["inferences"] == 2
    assert stats["steps"] == 2 * sum(len(fire_scan(d, P)) for d in cfg.layers)
    assert stats["loads"] == 2 * P * sum(d.groups for d in cfg.layers)
