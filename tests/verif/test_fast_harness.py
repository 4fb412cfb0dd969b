"""The direct Verilator harness (``verif.fast_harness``) and ``make regress`` (``verif.regress``).

CI runs a subset of ``make regress``: 20 held-out digits images and 10 held-out mnist images
(skipped, with the reason, when the MNIST files are absent) on the designs ``python -m gen``
emits, events, scores, prediction and cycles checked; a few of them under back-pressure. The
other tests show that the check can fail: a modified expectation, another network's golden
model, a network that was not loaded through the port, a hang.
"""

import copy
import json

import numpy as np
import pytest

from golden import data, network
from rtl.config import HardwareConfig
from verif import fast_harness as FH
from verif import regress, runner
from verif.scoreboard import expect

pytestmark = pytest.mark.sim


def _need_verilator():
    why = runner.sim_available("verilator")
    if why:
        pytest.skip(why)


@pytest.fixture(scope="module")
def digits():
    _need_verilator()
    cfg = HardwareConfig(network.load("digits"), cores=8, trace=True)
    x, y = data.load("digits", "heldout")
    return FH.FastHarness(cfg), x, y


def _results(harness, steps):
    out = list(harness.check(steps))
    assert isinstance(out[-1], FH.RunTotals)
    return out[:-1], out[-1]


def _summary(tmp_path, *args):
    assert regress.main(["--out", str(tmp_path), *args]) == 0
    return json.loads((tmp_path / "summary.json").read_text())


# -- the CI subset of make regress ---------------------------------------------------------------

def test_regress_digits_subset(tmp_path):
    """20 held-out digits images through the RTL, equal to the golden model (cycles included);
    5 of them again under back-pressure; the same for the rate-coded digits-rate-t2 (issue
    15: the RTL implements both codings)."""
    _need_verilator()
    s = _summary(tmp_path, "--parts", "images", "--nets", "digits,digits-rate-t2",
                 "--limit", "20", "--bp-every", "4")
    digits, rate = s["networks"]
    assert digits["status"] == "run" and s["passed"]
    assert digits["full"]["images"] == digits["full"]["equal"] == 20
    assert digits["bp"]["images"] == digits["bp"]["equal"] >= 1
    # the RTL predicts what the golden model predicts, so the accuracies are equal
    assert digits["full"]["correct"] == digits["full"]["golden_correct"] >= 17
    assert digits["full"]["cycles"] > 20 * 1000
    assert rate["status"] == "run"
    assert rate["full"]["images"] == rate["full"]["equal"] == 20
    assert rate["bp"]["images"] == rate["bp"]["equal"] >= 1
    assert rate["full"]["correct"] == rate["full"]["golden_correct"] >= 17
    assert "| digits | 8 | round | 20 / 20 |" in (tmp_path / "summary.md").read_text()


def test_regress_mnist_subset(tmp_path):
    """10 held-out mnist images (8000..8009) through the RTL under Verilator."""
    _need_verilator()
    try:
        data.load("mnist", "heldout")
    except data.DatasetUnavailable as exc:
        pytest.skip(str(exc))
    s = _summary(tmp_path, "--parts", "images", "--nets", "mnist", "--limit", "10",
                 "--bp-every", "5")
    (mnist,) = s["networks"]
    assert mnist["status"] == "run" and s["passed"]
    assert mnist["full"]["images"] == mnist["full"]["equal"] == 10
    assert mnist["bp"]["images"] == mnist["bp"]["equal"] >= 1
    assert mnist["full"]["correct"] == mnist["full"]["golden_correct"] >= 9


def test_regress_random_architecture_with_load(tmp_path):
    """One random architecture, its second network written through the load port."""
    _need_verilator()
    s = _summary(tmp_path, "--parts", "layers", "--archs", "1", "--arch-nets", "2")
    (arch,) = s["layers"]
    assert arch["networks_equal"] == arch["networks"] == 2
    assert arch["images"] == arch["equal"] == 8


def test_shards_partition_and_merge(tmp_path):
    """SHARD=0/2 and 1/2 together check the images of the unsharded run, once each."""
    _need_verilator()
    opts = ["--parts", "images", "--nets", "digits", "--limit", "7", "--bp-every", "3"]
    whole = _summary(tmp_path / "whole", *opts)
    for i in range(2):
        assert regress.main(["--out", str(tmp_path), "--shard", f"{i}/2", *opts]) == 0
    files = sorted(str(p) for p in tmp_path.glob("shard-*-of-2.json"))
    assert len(files) == 2
    assert regress.main(["--out", str(tmp_path), "--merge", *files]) == 0
    merged = json.loads((tmp_path / "summary.json").read_text())
    a, b = whole["networks"][0], merged["networks"][0]
    for part in ("full", "bp"):
        for key in ("images", "equal", "labelled", "correct", "golden_correct"):
            assert a[part][key] == b[part][key], (part, key)
    # full throughput: the same cycles (back-pressure draws another random host per shard)
    assert a["full"]["cycles"] == b["full"]["cycles"]
    assert b["full"]["images"] == 7 and merged["passed"]
    # a missing shard is an error naming it
    assert regress.main(["--out", str(tmp_path), "--merge", files[0]]) == 2


# -- the check fails on the wrong thing ---------------------------------------------------------

def _wrong_score(e):
    e.scores[3] += 1


def _wrong_prediction(e):
    e.prediction = (e.prediction + 1) % len(e.scores)


def _wrong_event(e):
    n, k = next(iter(e.events[1].items()))
    e.events[1][n] = k + 1


def _missing_event(e):
    e.events[2].pop(next(iter(e.events[2])))


def _wrong_cycles(e):
    i, f = e.phase_cycles[1]
    e.phase_cycles[1] = (i + 1, f)


WRONG = {"score": (_wrong_score, "classifier: class 3"),
         "prediction": (_wrong_prediction, "prediction: expected"),
         "event": (_wrong_event, "layer 1: neuron"),
         "missing event": (_missing_event, "layer 2: neuron"),
         "cycles": (_wrong_cycles, "layer 2: integrate phase")}


def test_modified_expectation_is_caught(digits):
    """The same image, checked against its golden expectation with one thing changed each
    time: every change is reported (and the unmodified expectation passes)."""
    harness, x, y = digits
    cfg = harness.config

    def expected(change):
        def f(j):
            e = copy.deepcopy(expect(cfg, x[j]))
            if change:
                change(e)
            return e
        return f

    steps = [FH.Images(x[:1], expected=expected(None), name="unmodified")]
    steps += [FH.Images(x[:1], expected=expected(change), name=name)
              for name, (change, _) in WRONG.items()]
    results, _ = _results(harness, steps)
    assert [r.step.name for r in results] == ["unmodified", *WRONG]
    assert results[0].ok, results[0].message
    for r in results[1:]:
        assert not r.ok, r.step.name
        assert WRONG[r.step.name][1] in r.message, r.message


def test_wrong_network_is_caught(digits):
    """The digits design checked against the golden model of digits-floor (same shape, other
    fire rule): every image differs."""
    harness, x, y = digits
    floor = HardwareConfig(network.load("digits-floor"), cores=8, trace=True)
    results, _ = _results(harness, [FH.Images(x[:5], expected=lambda j: expect(floor, x[j]))])
    assert len(results) == 5
    assert not any(r.ok for r in results), [r.message for r in results]


def test_network_not_loaded_is_caught():
    """A random architecture: its second network passes once loaded through the port, and
    fails when the load is left out (the memories still hold the first)."""
    _need_verilator()
    from golden.randnet import random_images
    from verif import cases
    rng = np.random.default_rng([5, 7])
    nets, P = cases.layer_network("dense_layer", rng, siblings=1)
    fields = cases.shared_widths(nets, P)
    cfgs = [HardwareConfig(n, cores=P, trace=True, **fields) for n in nets]
    harness = FH.FastHarness(cfgs[0], opt=FH.SHORT_RUN_OPT)
    images = random_images(rng, nets[0].input_shape, 4)

    def second(j):
        return expect(cfgs[1], images[j])
    loaded, _ = _results(harness, [FH.Load(cfgs[1], valid_prob=0.7, seed=3),
                                   FH.Images(images, expected=second)])
    assert all(r.ok for r in loaded), [r.message for r in loaded]
    stale, _ = _results(harness, [FH.Images(images, expected=second)])
    assert not all(r.ok for r in stale)


def test_hang_is_reported(digits):
    """An inference that does not finish within max_cycles is a failure, and the images after
    it are reported as not run."""
    harness, x, y = digits
    results, totals = _results(harness, [FH.Images(x[:3], max_cycles=300),
                                         FH.Images(x[3:4])])
    assert [r.ok for r in results] == [False] * 4
    assert results[0].hung and "no prediction after" in results[0].message
    assert all("not run" in r.message for r in results[1:])
    assert totals.cycles < 400


def test_back_pressure_changes_cycles_not_results(digits):
    """Random back-pressure and pixel gaps slow the inference down; everything but the cycles
    still matches."""
    harness, x, y = digits
    results, _ = _results(harness, [FH.Images(x[:4]),
                                    FH.Images(x[:4], ready_prob=0.5, valid_prob=0.5, seed=9)])
    full, bp = results[:4], results[4:]
    assert all(r.ok for r in results), [r.message for r in results]
    assert [r.prediction for r in full] == [r.prediction for r in bp]
    assert all(b.cycles > f.cycles for f, b in zip(full, bp))


# -- command line and sharding rules (no simulator) ----------------------------------------------

@pytest.mark.parametrize("args,word", [(["--shard", "2/2"], "--shard"),
                                       (["--shard", "x"], "--shard"),
                                       (["--parts", "bogus"], "--parts"),
                                       (["--nets", "nope"], "--nets"),
                                       (["--limit", "0"], "--limit"),
                                       (["--merge", "/nonexistent.json"], "cannot read")])
def test_bad_arguments_one_line(args, word, capsys):
    assert regress.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]


def test_shards_cover_every_image_once():
    for n in (1, 2, 3, 7):
        owners = [[i for i in range(n) if regress.in_shard(j, (i, n))] for j in range(50)]
        assert all(len(o) == 1 for o in owners)


def test_back_pressure_images_do_not_depend_on_sharding():
    chosen = [j for j in range(2000) if regress.back_pressure_image("mnist", j, 4)]
    assert 400 < len(chosen) < 600
    assert regress.back_pressure_image("mnist", 7, 0) is False


def test_shipped_networks_all_listed():
    names = regress.shipped_networks()
    assert {"digits", "mnist", "digits-floor", "mnist-ttfs-t4", "digits-rate-t2"} <= set(names)


def test_missing_dataset_is_skipped_with_reason(tmp_path, monkeypatch):
    """Without the MNIST files the mnist networks are listed as skipped, with the reason; no
    design is built and nothing fails."""
    monkeypatch.setenv("SNN_DATASETS", str(tmp_path / "empty"))
    s = _summary(tmp_path, "--parts", "images", "--nets", "mnist,mnist-ttfs-t2", "--limit", "1")
    assert [i["status"] for i in s["networks"]] == ["skipped", "skipped"]
    assert all("SNN_DATASETS" in i["reason"] for i in s["networks"])
    assert s["passed"]
    assert "| mnist | 8 | round | skipped: mnist:" in (tmp_path / "summary.md").read_text()


def _fake_shard(i, n, images, equal, complete=True):
    opts = {"parts": ["images"], "nets": ["digits"], "limit": None, "bp_every": 4,
            "archs": 50, "arch_nets": 4, "cores": 8, "seed": 1}
    counts = dict(regress._counts(), images=images, equal=equal)
    net = {"name": "digits", "status": "run", "T": 8, "fire_rule": "round", "limit": 8,
           "full": counts, "bp": regress._counts(), "failures": [], "wall_s": 1.0,
           "build_s": 0.0}
    return {"format": regress.FORMAT, "shard": [i, n], "options": opts, "complete": complete,
            "date": "d", "host": {"cpus": 2, "load_start": [0, 0, 0], "load_end": [0, 0, 0],
                                  "verilator": "v"},
            "networks": [net], "layers": [], "wall_s": 1.0}


def test_merge_accepts_any_partition_and_refuses_gaps_and_overlaps():
    """A failed shard i/N can be rerun as finer shards: 0/2 with 1/4 and 3/4 covers the work."""
    s = regress.merge([_fake_shard(0, 2, 4, 4), _fake_shard(1, 4, 2, 2),
                       _fake_shard(3, 4, 2, 2)])
    assert s["networks"][0]["full"]["images"] == 8 and s["passed"]
    with pytest.raises(regress.UsageError, match="missing"):
        regress.merge([_fake_shard(0, 2, 4, 4), _fake_shard(1, 4, 2, 2)])
    with pytest.raises(regress.UsageError, match="overlap"):
        regress.merge([_fake_shard(0, 2, 4, 4), _fake_shard(1, 2, 4, 4),
                       _fake_shard(2, 4, 2, 2)])
    # a shard stopped half-way: counted, but the summary does not pass
    s = regress.merge([_fake_shard(0, 2, 4, 4), _fake_shard(1, 2, 3, 3, complete=False)])
    assert s["incomplete"] == ["1/2"] and not s["passed"]
    assert "**Incomplete**" in regress.markdown(s)
