"""The event-driven SNN equals the dense integer model bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden import dense, event, network
from golden import randnet as R


def assert_equal_models(net, images):
    _, res = dense.run(net, images)
    for i, img in enumerate(images):
        tr = event.run(net, img)
        for li, (r, t) in enumerate(zip(res, tr.layers)):
            assert np.array_equal(r.membrane[i].ravel(), t.membrane), f"layer {li} membranes"
            if r.pooled is not None:
                want = event._to_events(r.pooled[i], net)
                assert np.array_equal(want, t.events), f"layer {li} events"
        assert np.array_equal(res[-1].membrane[i], tr.scores)
        assert tr.prediction == int(np.argmax(res[-1].membrane[i]))


@pytest.mark.parametrize("coding", ["ttfs", "rate"])
@pytest.mark.parametrize("seed", range(4))
def test_random_networks(coding, seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(1, 9))
    spec = [R.conv(3, int(rng.integers(1, 4)), 1, 1 if seed % 2 else 0), R.conv(4, 3, 2, 1),
            R.dense_layer(5), R.classifier(4)]
    if seed % 2:
        spec = [R.conv(3, 3, 1, 1), R.pool(), R.conv(4, 3, 1, 1), R.pool(), R.dense_layer(5),
                R.classifier(4)]
    net = R.random_network(rng, (2, 8, 8), spec, coding=coding, T=T,
                           fire_rule=["round", "floor"][seed % 2])
    assert_equal_models(net, R.random_images(rng, net.input_shape, 4))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["ttfs", "rate"]), st.integers(1, 5),
       st.integers(1, 2), st.integers(0, 2))
def test_random_geometries(seed, coding, K, s, p):
    rng = np.random.default_rng(seed)
    p = min(p, K - 1)
    net = R.random_network(rng, (1, 7, 7), [R.conv(2, K, s, p), R.dense_layer(3),
                                            R.classifier(3)],
                           coding=coding, T=int(rng.integers(1, 9)))
    assert_equal_models(net, R.random_images(rng, net.input_shape, 2))


def test_extreme_exponents_and_signs():
    """Codes e = 0, 14 and 15 with both signs only."""
    rng = np.random.default_rng(7)
    net = R.random_network(rng, (1, 6, 6), [R.conv(3), R.dense_layer(4), R.classifier(3)], T=8)
    doc = network.to_doc(net)
    for l in doc["layers"]:
        if "weights" in l:
            n = len(l["weights"])
            codes = rng.choice([0, 14, 16, 30, 15], size=n)
            l["weights"] = network.codes_to_text(codes)
    net = network.build_network(doc)
    assert_equal_models(net, R.random_images(rng, net.input_shape, 3))


def test_threshold_boundaries():
    """Thresholds set exactly at a membrane's firing boundary, and one LSB either side."""
    rng = np.random.default_rng(11)
    net = R.random_network(rng, (1, 6, 6), [R.conv(4), R.dense_layer(4), R.classifier(2)],
                           T=4, fire_rule="floor")
    img = R.random_images(rng, net.input_shape, 1)
    _, res = dense.run(net, img)
    U = res[0].membrane[0]  # (4, 6, 6)
    doc = network.to_doc(net)
    for delta in (-1, 0, 1):
        th = []
        for ch in range(4):
            u = int(U[ch].max())
            th.append(max(1, u + delta))  # floor rule: k=0 iff U >= theta
        doc["layers"][0]["threshold"] = th
        net2 = network.build_network(doc)
        _, res2 = dense.run(net2, img)
        k0 = res2[0].spikes[0].reshape(4, -1)
        live = [ch for ch in range(4) if U[ch].max() > 1]
        assert live
        for ch in live:
            at_max = k0[ch][np.argmax(U[ch].ravel())]
            assert (at_max == 0) == (delta <= 0)
        assert_equal_models(net2, img)
    assert (U < 0).any()  # negative membranes are covered


def test_argmax_ties_pick_lowest_class():
    rng = np.random.default_rng(3)
    net = R.random_network(rng, (1, 4, 4), [R.conv(2), R.classifier(3)], T=4)
    doc = network.to_doc(net)
    w = doc["layers"][-1]["weights"]
    n = len(w) // 3
    doc["layers"][-1]["weights"] = w[n:2 * n] * 3  # three equal rows
    doc["layers"][-1]["bias"] = [5, 5, 5]
    net = network.build_network(doc)
    img = R.random_images(rng, net.input_shape, 2)
    scores, pred = dense.predict(net, img)
    assert (scores[:, 0] == scores[:, 1]).all() and (pred == 0).all()
    assert all(event.run(net, im).prediction == 0 for im in img)


def test_pool_ties():
    """Every neuron of a pool window fires at the same time: the window fires once."""
    rng = np.random.default_rng(5)
    net = R.random_network(rng, (1, 4, 4), [R.conv(2, 1, 1, 0), R.pool(), R.classifier(2)], T=4)
    doc = network.to_doc(net)
    doc["layers"][0]["weights"] = network.codes_to_text([0, 0])  # +1 for every pixel
    doc["layers"][0]["bias"] = [0, 0]
    net = network.build_network(doc)
    img = np.full((1, 1, 4, 4), 255, dtype=np.uint8)
    tr = event.run(net, img[0])
    events = tr.layers[0].events
    assert len(events) == 8 and (events[:, 1] == events[0, 1]).all()
    assert_equal_models(net, img)


def test_worst_case_width_holds():
    """All weights +2^0, every input spiking at k=0: the membrane reaches its bound."""
    rng = np.random.default_rng(2)
    net = R.random_network(rng, (3, 6, 6), [R.conv(2), R.classifier(2)], T=8)
    doc = network.to_doc(net)
    for l in doc["layers"]:
        l["weights"] = "0" * len(l["weights"])
    doc["layers"][-1]["bias"] = [2 ** 20, -(2 ** 20)]
    net = network.build_network(doc)
    img = np.full((1, 3, 6, 6), 255, dtype=np.uint8)
    _, res = dense.run(net, img)
    for layer, r in zip(net.layers, res):
        assert np.abs(r.membrane).max() < 2 ** (layer.membrane_bits - 1)
    top = int(np.abs(res[0].membrane).max())
    assert top >= 9 * 3 * 2 ** net.F * 0.4  # interior neurons see the full fan-in
    assert_equal_models(net, img)
