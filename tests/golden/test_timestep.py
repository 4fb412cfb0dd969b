"""The time-stepped SNN (golden.timestep): theory against the count scheme, an event-driven
reference, work counts and the command line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from golden import contract, data, dense, event, network
from golden import randnet as R
from golden import timestep as ts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reference(net, image, T, input_mode="encoder"):
    """One image, one step at a time, through golden.event's integration of each step's events
    (an independent path: event fan-out instead of dense tensor products)."""
    x = np.asarray(image, dtype=np.int64).reshape(net.input_shape)
    v_in = np.full(x.shape, contract.IF_INPUT_THETA // 2, dtype=np.int64)
    membranes = []
    for layer in net.layers:
        bshape = (-1,) + (1,) * (len(layer.out_shape) - 1)
        if layer.fires:
            th = layer.threshold.reshape(bshape)
            if input_mode == "current" and layer.index == 0:
                th = th * contract.ANALOG_INPUT_SCALE
            membranes.append([th // 2 + np.zeros(layer.out_shape, np.int64), th])
        else:
            membranes.append([np.zeros(layer.out_shape, np.int64), None])
    counts = [np.zeros(l.out_shape, np.int64) for l in net.layers if l.fires]
    for _ in range(T):
        v_in = v_in + 2 * x
        s = (v_in >= contract.IF_INPUT_THETA).astype(np.int64)
        v_in -= s * contract.IF_INPUT_THETA
        j = 0
        for layer, (v, th) in zip(net.layers, membranes):
            bshape = (-1,) + (1,) * (len(layer.out_shape) - 1)
            if input_mode == "current" and layer.index == 0:
                # x/255 per step, scaled by 255: the pixel as a count through each weight
                ev = np.stack([np.arange(x.size), np.zeros(x.size, np.int64)], axis=1)
                ev = np.repeat(ev, x.ravel(), axis=0)
                cur = event._integrate(net, layer, ev, {}) + \
                    contract.ANALOG_INPUT_SCALE * layer.bias.reshape(bshape)
            else:
                ev = event._to_events(s, net)  # binary spikes: one event (neuron, 0) each
                cur = event._integrate(net, layer, ev, {}) + layer.bias.reshape(bshape)
            v += cur
            if layer.fires:
                s = (v >= th).astype(np.int64)
                v -= s * th
                counts[j] += s
                j += 1
    return membranes[-1][0], counts


def pooled_net(seed, T):
    rng = np.random.default_rng(seed)
    spec = [R.conv(3, 3, 1, 1), R.pool(), R.conv(4, 3, 1, 1), R.pool(), R.dense_layer(5),
            R.classifier(4)]
    return R.random_network(rng, (2, 8, 8), spec, coding="rate", T=T), rng


@pytest.mark.parametrize("input_mode", ts.INPUT_MODES)
@pytest.mark.parametrize("seed,T", [(0, 1), (1, 2), (2, 4), (3, 8), (4, 5)])
def test_equals_the_stepwise_event_reference(seed, T, input_mode):
    net, rng = pooled_net(seed, T)
    images = R.random_images(rng, net.input_shape, 5)
    r = ts.run(net, images, input_mode=input_mode)
    for i, img in enumerate(images):
        scores, counts = reference(net, img, T, input_mode)
        assert np.array_equal(r.scores[i], scores), f"image {i} scores"
        for j, c in enumerate(counts):
            assert np.array_equal(r.counts[j][i], c), f"image {i} firing layer {j}"
        assert r.prediction[i] == int(np.argmax(scores))


@pytest.mark.parametrize("seed", range(6))
def test_one_step_equals_the_count_scheme(seed):
    """T = 1: one step is one integrate-and-fire, so the two models are bit-equal."""
    rng = np.random.default_rng(seed)
    spec = [R.conv(3, 3, 1, 1), R.pool(), R.conv(4, 3, 2, 1), R.dense_layer(6), R.classifier(4)]
    net = R.random_network(rng, (1, 8, 8), spec, coding="rate", T=1)
    images = R.random_images(rng, net.input_shape, 16)
    scores, pred, x, counts, (events_in, synops) = ts.count_scheme(net, images)
    r = ts.run(net, images)
    assert np.array_equal(r.scores, scores) and np.array_equal(r.prediction, pred)
    assert np.array_equal(r.input_counts, x)
    assert all(np.array_equal(a, b) for a, b in zip(r.counts, counts))
    assert np.array_equal(r.spikes, events_in.sum(axis=1))
    assert np.array_equal(r.layer_synops, synops)


@pytest.mark.parametrize("T", [2, 3, 4, 8, 16])
def test_even_input_gives_the_count_scheme(T):
    """0/255 images make the encoder spike at every step or never: the first layer's current is
    the same at every step, so its counts equal the count scheme's; with one hidden layer the
    scores are equal too."""
    rng = np.random.default_rng(T)
    net = R.random_network(rng, (1, 6, 6), [R.dense_layer(12), R.classifier(5)], coding="rate",
                           T=T)
    images = (R.random_images(rng, net.input_shape, 40) > 100).astype(np.uint8) * 255
    scores, _, _, counts, _ = ts.count_scheme(net, images)
    r = ts.run(net, images)
    assert np.array_equal(r.counts[0], counts[0])
    assert np.array_equal(r.scores, scores)
    assert 0 < counts[0].mean() < T  # not trivially all silent or all saturated


def test_constant_analog_current_is_the_qcfs_quantiser():
    """With analog input the first layer's current is constant: its counts are
    clip(floor((Theta'/2 + T I) / Theta'), 0, T) with I the scaled per-step current."""
    T = 6
    net, rng = pooled_net(9, T)
    images = R.random_images(rng, net.input_shape, 8)
    r = ts.run(net, images, input_mode="current")
    l0 = net.layers[0]
    cur = dense.integrate(net, l0, images.astype(np.int64)) - \
        dense.bias_term(net, l0).reshape(1, -1, 1, 1) + \
        contract.ANALOG_INPUT_SCALE * l0.bias.reshape(1, -1, 1, 1)
    theta = contract.ANALOG_INPUT_SCALE * l0.threshold.reshape(1, -1, 1, 1)
    want = contract.rate_fire(theta // 2 + T * cur, theta, T)
    assert np.array_equal(r.counts[0], want)
    assert r.input_counts.sum() == 0 and (r.analog_macs > 0).all()


def two_pixel_net(weights, T=2, F=16, e=2):
    """Input 1x1x2, one hidden neuron with weight codes ``weights`` (exponent e, so each input
    spike adds +-2^(F-e)) and threshold 2^(F-e); a classifier that copies it."""
    codes = [contract.encode_code(0 if w > 0 else 1, e) for w in weights]
    doc = {"format": network.FORMAT, "name": "uneven", "input_shape": [2, 1, 1],
           "coding": "rate", "T": T, "F": F,
           "layers": [{"type": "dense", "out_features": 1, "bias": [0],
                       "weights": network.codes_to_text(codes), "threshold": [1 << (F - e)]},
                      {"type": "classifier", "out_features": 2,
                       "weights": network.codes_to_text([0, 16]), "bias": [0, 0]}]}
    return network.build_network(doc)


def test_uneven_arrival_changes_the_count():
    """Pixel 128 spikes at step 1 only, pixel 127 at step 2 only (one input spike each, as in
    the count scheme). Positive early and negative late: the neuron spikes at step 1 before the
    negative input arrives (count 1); the count scheme sums first (Theta/2 < Theta: count 0).
    The other way round, both give 0."""
    image = np.array([128, 127], dtype=np.uint8).reshape(1, 2, 1, 1)
    early_first = two_pixel_net([+1, -1])
    r = ts.run(early_first, image)
    assert r.input_counts.ravel().tolist() == [1, 1]
    assert r.step_spikes[:, 0].tolist() == [1 + 1, 1]  # step 1: pixel 128 and the neuron
    _, _, x, counts, _ = ts.count_scheme(early_first, image)
    assert x.ravel().tolist() == [1, 1]
    assert counts[0].item() == 0 and r.counts[0].item() == 1
    assert not np.array_equal(r.scores, ts.count_scheme(early_first, image)[0])
    late_first = two_pixel_net([-1, +1])
    assert ts.run(late_first, image).counts[0].item() == 0
    assert ts.count_scheme(late_first, image)[3][0].item() == 0


@pytest.mark.parametrize("coding", ["rate", "ttfs"])
def test_synops_equal_the_event_models(coding):
    """The fan-out map gives golden.event's synaptic operations from dense counts."""
    rng = np.random.default_rng(11)
    spec = [R.conv(3, 3, 1, 1), R.pool(), R.conv(4, 3, 2, 1), R.pool(), R.dense_layer(5),
            R.classifier(3)]
    net = R.random_network(rng, (1, 16, 16), spec, coding=coding, T=4)
    images = R.random_images(rng, net.input_shape, 4)
    x, res = dense.run(net, images)
    ins = [x] + [r.pooled for r in res[:-1]]
    if coding == "ttfs":
        ins = [(a < net.T).astype(np.int64) for a in ins]
    got = sum(ts.synops_of(net, l, a) for l, a in zip(net.layers, ins))
    want = [event.run(net, img).counts["synops"] for img in images]
    assert got.tolist() == want


def test_spike_bookkeeping():
    net, rng = pooled_net(5, 4)
    r = ts.run(net, R.random_images(rng, net.input_shape, 6))
    n = 6
    total = r.input_counts.reshape(n, -1).sum(1) + sum(c.reshape(n, -1).sum(1) for c in r.counts)
    assert np.array_equal(r.spikes, total)
    assert all(((c >= 0) & (c <= net.T)).all() for c in r.counts)


def test_refusals():
    rng = np.random.default_rng(0)
    ttfs = R.random_network(rng, (1, 4, 4), [R.dense_layer(3), R.classifier(2)], T=4)
    with pytest.raises(ts.TimestepError, match="rate-coded"):
        ts.run(ttfs, np.zeros((1, 1, 4, 4), np.uint8))
    rate = R.random_network(rng, (1, 4, 4), [R.dense_layer(3), R.classifier(2)], coding="rate",
                            T=4)
    with pytest.raises(ts.TimestepError, match="steps"):
        ts.run(rate, np.zeros((1, 1, 4, 4), np.uint8), steps=0)
    with pytest.raises(ts.TimestepError, match="input mode"):
        ts.run(rate, np.zeros((1, 1, 4, 4), np.uint8), input_mode="poisson")
    with pytest.raises(ts.TimestepError, match="do not match"):
        ts.run(rate, np.zeros((1, 1, 5, 4), np.uint8))


def test_shipped_digits_variants_differ_from_the_count_scheme_somewhere():
    """On the real held-out digits, T >= 2: unevenness changes some neuron counts (the effect
    the module measures is there), and never produces a count outside 0..T."""
    x, y = data.load("digits", "heldout")
    for T in (2, 4, 8):
        net = network.load(f"digits-rate-t{T}")
        res = ts.compare(net, x[:60], y[:60], modes=("encoder",))
        differs = res["timestepped"]["encoder"]["count_differs"]
        assert sum(differs) > 0, f"T={T}"
        assert res["count_acc"] > 0.9


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "golden.timestep", *args], cwd=REPO,
                          capture_output=True, text=True)


def test_cli_json(tmp_path):
    p = run_cli("--net", "digits-rate-t2", "--limit", "30", "--json", "--no-cache")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["images"] == 30 and set(r["timestepped"]) == set(ts.INPUT_MODES)
    assert 0 <= r["timestepped"]["encoder"]["pred_differs"] <= 1


@pytest.mark.parametrize("args,msg", [(("--net", "digits"), "rate-coded"),
                                      (("--net", "nosuch"), "unknown network"),
                                      ((), "either --net"),
                                      (("--net", "digits-rate-t2", "--gap"), "either --net")])
def test_cli_errors_exit_2(args, msg):
    p = run_cli(*args)
    assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_more_steps_than_T():
    """Run for longer than the trained T (QCFS's T > L): allowed up to T_MAX, counts up to the
    steps run; the width check refuses what would not fit in int64."""
    net, rng = pooled_net(6, 2)
    r = ts.run(net, R.random_images(rng, net.input_shape, 3), steps=8)
    assert r.step_spikes.shape == (8, 3) and max(int(c.max()) for c in r.counts) <= 8
    assert ts.check(net, 16) == 16
    wide = network.Network(**{**net.__dict__, "layers": tuple(
        network._replace(l, membrane_bits=61) for l in net.layers)})
    assert ts.check(wide, 2) == 2
    with pytest.raises(ts.TimestepError, match="more than 63"):
        ts.check(wide, 16)
    with pytest.raises(ts.TimestepError, match="more than 63"):
        ts.check(wide, 2, "current")
