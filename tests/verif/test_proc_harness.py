"""The processor's direct Verilator harness (``verif.proc_harness``) and ``make
regress-processor`` (``verif.proc_regress``).

CI runs real processor RTL under Verilator: one processor Verilog (a P = 4 capacity small enough
that the digits network and a random deep network both run every layer in several passes),
compiled once, runs 5 held-out digits images and a random deep network, one after the other in
one memory and one harness process, with the fixed-latency memory and with random memory stalls,
register-bus pauses and stream back-pressure; every event, its order, the scores, prediction,
BYTES and EVENTS equal the golden model, and CYCLES equals the cycle model
(``golden.processor_cycles``) under the fixed latency. The other tests show that the checks can
fail: a modified expectation, another network's golden model, an image with a bad header
(ERROR), a cycle model at the wrong latency.
"""

from pathlib import Path

import numpy as np
import pytest

from golden import data, network
from golden import randnet as R
from golden.capacity import PRESETS, plan, with_changes
from golden.nets import resolve
from verif import proc_harness as PH
from verif import proc_regress, runner

pytestmark = pytest.mark.sim


def _random_deep():
    rng = np.random.default_rng(7)
    net = R.random_network(rng, (2, 8, 8), [R.conv(12), R.pool(), R.conv(10, 3, 2, 1),
                                            R.dense_layer(20), R.classifier(10)], T=8, F=21)
    return net, R.random_images(rng, net.input_shape, 2)


def _capacity(nets):
    """ice40-digits shrunk so that every layer of ``nets`` runs in passes (membranes, weights and
    parameter entries each limit one), widened to 32 channels."""
    return with_changes(PRESETS["ice40-digits"], name="ci-passes", max_channels=32,
                        membrane_bits=max(29, *(n.membrane_bits for n in nets)),
                        membrane_words=64, weight_words=256, param_words=2, spike_events=256)


@pytest.fixture(scope="module")
def setup():
    why = runner.sim_available("verilator")
    if why:
        pytest.skip(why)
    digits = network.load("digits")
    deep, deep_x = _random_deep()
    cap = _capacity([digits, deep])
    x, y = data.load("digits", "heldout")
    # the run is a few thousand cycles per image: the compile dominates, so -O0
    harness = PH.ProcHarness(cap, opt="-O0")
    return harness, digits, x[:5], y[:5], deep, deep_x


def _results(harness, batches):
    out = list(harness.check(batches))
    assert isinstance(out[-1], PH.RunTotals)
    return out[:-1], out[-1]


def test_one_verilog_runs_digits_and_a_deep_network_in_passes(setup):
    harness, digits, x, y, deep, deep_x = setup
    cap = harness.capacity
    assert all(lp.passes > 1 for n in (digits, deep) for lp in plan(n, cap))
    assert {lp.limit for lp in plan(deep, cap)} >= {"membrane_words", "weight_words",
                                                     "param_words"}
    stall = PH.Timing(latency=5, stall_prob=0.3, ready_prob=0.6, seed=3)
    batches = [PH.Batch(digits, x, y), PH.Batch(deep, deep_x),
               PH.Batch(digits, x[:2], y[:2], timing=stall),
               PH.Batch(deep, deep_x[:1], timing=stall)]
    res, totals = _results(harness, batches)
    assert [r.message for r in res if not r.ok] == []
    assert len(res) == 5 + 2 + 2 + 1
    from golden.image import bytes_read
    for r in res:
        assert r.bytes == bytes_read(r.batch.network, cap)
        assert r.prediction == r.golden
        assert len(r.events) == len(r.batch.network.layers) + 1 and r.events[-1] == 0
    fixed = {(r.batch.network.name, r.index): r.cycles for r in res if r.batch.timing.exact}
    for r in res:
        if not r.batch.timing.exact:  # the same results, more cycles
            assert r.cycles > fixed[(r.batch.network.name, r.index)]
    # the processor predicts what the golden model predicts
    assert sum(r.prediction == r.label for r in res[:5]) == sum(r.golden == r.label
                                                                for r in res[:5])
    assert totals.cycles > sum(r.cycles for r in res)
    # CYCLES equal to the cycle model under the fixed latency (checked in r.ok)
    assert all(r.model_cycles == r.cycles for r in res if r.batch.timing.exact)
    assert all(r.model_cycles is None for r in res if not r.batch.timing.exact)


def test_cycle_model_is_checked(setup, monkeypatch):
    """CYCLES is compared with golden.processor_cycles at the bus latency + 1: at another
    latency (the reader's cycle forgotten: one cycle less per read request) the image fails,
    naming CYCLES."""
    harness, digits, x, y, _, _ = setup
    assert PH.cycle_model() is not None
    monkeypatch.setattr(PH, "READER_DELAY", 0)
    (r,), _ = _results(harness, [PH.Batch(digits, x[:1], timing=PH.Timing(latency=6))])
    assert not r.ok and "CYCLES" in r.message and r.model_cycles < r.cycles


def test_modified_expectation_is_caught(setup):
    """A golden model with one spike time, one score or one counter changed fails, naming it."""
    harness, digits, x, y, _, _ = setup
    cap = harness.capacity

    def changed(how):
        def expected(j):
            g = PH.golden(digits, x[j], cap)
            how(g)
            return g
        return expected

    def spike(g):
        ev = g.expected.events[1]
        n = min(ev)
        ev[n] = (ev[n] + 1) % 8

    def score(g):
        g.expected.scores[3] += 1

    def count(g):
        g.events[2] += 1

    def order(g):
        g.orders[1] = g.orders[1][::-1].copy()

    def nbytes(g):
        g.bytes += 16

    for how, word in ((spike, "layer 1: neuron"), (score, "class 3"), (count, "EVENTS"),
                      (order, "out of order"), (nbytes, "BYTES")):
        (r,), _ = _results(harness, [PH.Batch(digits, x[:1], expected=changed(how))])
        assert not r.ok and word in r.message, (word, r.message)


def test_wrong_network_is_caught(setup):
    """The deep network's image checked against the digits golden model of the same pixels is
    not equal (the harness runs what the memory holds)."""
    harness, digits, x, y, deep, deep_x = setup
    wrong = PH.Batch(deep, deep_x[:1], expected=lambda j: PH.golden(
        deep, deep_x[0] // 2 + 1, harness.capacity))
    (r,), _ = _results(harness, [wrong])
    assert not r.ok


def test_bad_image_sets_error_and_the_next_network_runs(setup):
    """An image whose magic is wrong ends with ERROR 1 (reported as a difference, not a hang);
    the inference after it, on a good image, is exact."""
    from golden.image import write_image
    harness, digits, x, y, _, _ = setup
    bad = bytearray(write_image(digits, harness.capacity))
    bad[0] ^= 0xFF
    res, _ = _results(harness, [PH.Batch(digits, x[:1], image=bytes(bad)),
                                PH.Batch(digits, x[1:2])])
    assert not res[0].ok and "ERROR = 1" in res[0].message and not res[0].hung
    assert res[1].ok, res[1].message


def test_timing_validates():
    with pytest.raises(ValueError, match="latency"):
        PH.Timing(latency=0)
    with pytest.raises(ValueError, match="stall_prob"):
        PH.Timing(stall_prob=1.0)
    assert PH.Timing().exact and not PH.Timing(ready_prob=0.5).exact


def test_regress_subset_report(setup):
    """The regression of make regress-processor on 3 digits images (on the CI capacity, whose
    harness is already built): the report gives the cycles, bytes and passes per layer; a
    network that does not fit is listed with its limit."""
    harness = setup[0]
    args = proc_regress._parser().parse_args(["--nets", "digits,mnist", "--limit", "3",
                                              "--stall-every", "2"])
    proc_regress._validate(args)
    s = proc_regress.merge([proc_regress.run_shard(args, (0, 1), harness=harness)])
    d, m = s["networks"]
    assert s["passed"] and d["fixed"]["images"] == d["fixed"]["equal"] == 3
    assert d["stall"]["images"] == d["stall"]["equal"] >= 1
    assert d["passes"] == [lp.passes for lp in plan(network.load("digits"), harness.capacity)]
    assert m["status"] == "does not fit" and "membrane_bits" in m["reason"]
    md = proc_regress.markdown(s)
    assert "| digits |" in md and "| 3 / 3 |" in md and "Overall: PASS" in md
    assert "| 2 2 2 |" in md and s["verilog_sha256"] == [harness.verilog_sha256]


@pytest.mark.parametrize("args,word", [(["--preset", "nope"], "--preset"),
                                       (["--nets", "nope"], "--nets"),
                                       (["--nets", "build/absent-net.json"], "--nets"),
                                       (["--limit", "0"], "--limit"),
                                       (["--shard", "3/2"], "--shard")])
def test_bad_arguments_one_line(args, word, capsys):
    assert proc_regress.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err


def test_network_file_is_accepted(tmp_path):
    """A network file (e.g. one imported with golden.nir) is a valid --nets entry."""
    path = tmp_path / "mnist-mine.json"
    path.write_text(Path(resolve("digits")).read_text())
    args = proc_regress._parser().parse_args(["--nets", f"digits,{path}"])
    proc_regress._validate(args)
    assert args.nets == ["digits", str(path)]


def test_merge_needs_every_image_once():
    def shard(i, n):
        return {"format": proc_regress.FORMAT, "shard": [i, n], "options": {"x": 1},
                "date": "d", "host": {"load_start": [0], "load_end": [0], "cpus": 2,
                                      "verilator": "v"},
                "capacity": {}, "networks": [], "complete": True, "wall_s": 1}
    proc_regress.merge([shard(0, 2), shard(1, 4), shard(3, 4)])
    with pytest.raises(proc_regress.UsageError, match="exactly once"):
        proc_regress.merge([shard(0, 2), shard(1, 4)])
    with pytest.raises(proc_regress.UsageError, match="exactly once"):
        proc_regress.merge([shard(0, 2), shard(0, 2), shard(1, 2)])


def test_stall_images_do_not_depend_on_sharding():
    every = [j for j in range(200) if proc_regress.stall_image("digits", j, 4)]
    assert 30 < len(every) < 70
