"""The scoreboard can fail: a single wrong expected event, score or cycle count is reported
(as ``Mismatch``) with its layer, neuron, expected and observed values."""

import copy
import re

import numpy as np
import pytest

from golden import randnet as G
from rtl.config import HardwareConfig
from verif.amaranth_sim import run_inference
from verif.scoreboard import Mismatch, check, expect


@pytest.fixture(scope="module")
def golden_and_observed():
    rng = np.random.default_rng(5)
    net = G.random_network(rng, (1, 6, 6), [G.conv(4, kernel=3, padding=1), G.pool(),
                                            G.dense_layer(6), G.classifier(4)], T=4)
    cfg = HardwareConfig(net, cores=3)
    image = G.random_images(rng, net.input_shape, 1)[0]
    obs = run_inference(cfg, [image])[0]
    exp = expect(cfg, image)
    check(exp, obs)  # the unmodified expectation passes
    return exp, obs, net


def _first_event(exp, layer):
    n = min(exp.events[layer])
    return n, exp.events[layer][n]


def test_wrong_expected_event_is_reported(golden_and_observed):
    exp, obs, net = golden_and_observed
    layer = 1 if exp.events[1] else 0
    n, k = _first_event(exp, layer)
    bad = copy.deepcopy(exp)
    bad.events[layer][n] = (k + 1) % net.T
    with pytest.raises(Mismatch) as ei:
        check(bad, obs)
    msg = str(ei.value)
    assert f"layer {layer}" in msg and f"neuron {n}" in msg
    assert f"expected k={(k + 1) % net.T}" in msg and f"observed k={k}" in msg
    assert re.search(r"at cycle \d+", msg)


def test_missing_and_extra_event_are_reported(golden_and_observed):
    exp, obs, net = golden_and_observed
    n, k = _first_event(exp, 0)
    bad = copy.deepcopy(exp)
    del bad.events[0][n]
    with pytest.raises(Mismatch, match=rf"layer 0: neuron {n}: expected k=none, observed k={k}"):
        check(bad, obs)
    C, H, W = exp.maps[0]
    free = next(i for i in range(C * H * W) if i not in exp.events[0])
    bad = copy.deepcopy(exp)
    bad.events[0][free] = 0
    with pytest.raises(Mismatch, match=rf"layer 0: neuron {free}: expected k=0, observed "
                                       r"k=none"):
        check(bad, obs)


def test_wrong_expected_score_and_prediction(golden_and_observed):
    exp, obs, _ = golden_and_observed
    bad = copy.deepcopy(exp)
    bad.scores[2] += 1
    with pytest.raises(Mismatch, match=rf"class 2: expected score {bad.scores[2]}, observed "
                                       rf"class 2 score {exp.scores[2]} at cycle \d+"):
        check(bad, obs)
    bad = copy.deepcopy(exp)
    bad.prediction = (exp.prediction + 1) % len(exp.scores)
    with pytest.raises(Mismatch, match="prediction"):
        check(bad, obs)


@pytest.mark.parametrize("which", [0, 1])
def test_wrong_expected_cycle_count_is_reported(golden_and_observed, which):
    exp, obs, _ = golden_and_observed
    bad = copy.deepcopy(exp)
    li = len(bad.phase_cycles) - 1
    cyc = list(bad.phase_cycles[li])
    real = cyc[which]
    cyc[which] += 3
    bad.phase_cycles[li] = tuple(cyc)
    name = ("integrate", "fire")[which]
    with pytest.raises(Mismatch) as ei:
        check(bad, obs)
    msg = str(ei.value)
    assert f"layer {li + 1}: {name} phase: expected {real + 3} cycles" in msg
    assert f"observed {real}" in msg
    check(bad, obs, cycles=False)  # events and scores still match
