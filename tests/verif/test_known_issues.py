"""Regression tests for RTL / cycle-model discrepancies found by the verification.

- A layer with no input events (e.g. an all-zero image): the RTL integrated in 3 cycles while
  golden/cycles.py predicted INTEGRATE_OVERHEAD = 6 (found by ``python -m verif.regress``,
  fixed since): events, scores and phase cycles must all match.
"""

import numpy as np

from golden import randnet as G
from rtl.config import HardwareConfig
from verif.amaranth_sim import run_inference
from verif.scoreboard import check, expect, phase_durations


def test_integrate_phase_without_input_events():
    rng = np.random.default_rng(0)
    net = G.random_network(rng, (1, 4, 4), [G.conv(2, kernel=3, padding=1), G.classifier(3)],
                           T=4)
    cfg = HardwareConfig(net, cores=2)
    image = np.zeros((1, 4, 4), np.uint8)  # no input events at all
    obs = run_inference(cfg, [image])[0]
    exp = expect(cfg, image)
    assert phase_durations(obs) == [tuple(c) for c in exp.phase_cycles]
    check(exp, obs)
