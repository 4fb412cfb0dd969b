"""golden.evaluate CLI on the shipped networks: the event-driven SNN equals the dense model."""

import json
import os
import subprocess
import sys

import pytest

from golden import data
from golden.nets import NETS_DIR

REPO = os.path.dirname(NETS_DIR)


def _run(*args):
    return subprocess.run([sys.executable, "-m", "golden.evaluate", *args], cwd=REPO,
                          capture_output=True, text=True)


def _eval_json(*args):
    p = _run(*args, "--json")
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


KEYS = ("net", "coding", "T", "images", "ann_float_acc", "ann_int_acc", "snn_acc",
        "snn_equals_int", "spikes_per_image", "synops_per_image")


@pytest.mark.skipif(not os.path.isfile(os.path.join(NETS_DIR, "digits.json")),
                    reason="nets/digits.json not trained")
def test_digits_cli():
    r = _eval_json("--net", "digits", "--limit", "50")
    for k in KEYS:
        assert k in r
    assert r["images"] == 50 and r["coding"] == "ttfs" and r["T"] == 8
    assert r["snn_equals_int"] == 1.0
    assert r["snn_acc"] == r["ann_int_acc"]
    assert r["snn_acc"] >= 0.9 and r["ann_float_acc"] >= 0.9
    assert r["spikes_per_image"] > 0 and r["synops_per_image"] > 0


@pytest.mark.skipif(not os.path.isfile(os.path.join(NETS_DIR, "digits-rate-t4.json")),
                    reason="nets/digits-rate-t4.json not trained")
def test_digits_variant_cli():
    r = _eval_json("--net", "digits", "--T", "4", "--coding", "rate", "--limit", "30")
    assert r["net"] == "digits-rate-t4" and r["coding"] == "rate" and r["T"] == 4
    assert r["snn_equals_int"] == 1.0 and r["snn_acc"] >= 0.8


def test_table_output():
    if not os.path.isfile(os.path.join(NETS_DIR, "digits.json")):
        pytest.skip("nets/digits.json not trained")
    p = _run("--net", "digits", "--limit", "10", "--table")
    assert p.returncode == 0, p.stderr
    assert "SNN accuracy" in p.stdout


@pytest.mark.parametrize("args", [("--net", "nosuchnet"), ("--net", "digits", "--T", "13")])
def test_errors_exit_2(args):
    p = _run(*args, "--json")
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and p.stdout == ""


def test_missing_dataset_exit_2(tmp_path):
    if not os.path.isfile(os.path.join(NETS_DIR, "mnist.json")):
        pytest.skip("nets/mnist.json not trained")
    env = dict(os.environ, SNN_DATASETS=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "golden.evaluate", "--net", "mnist", "--json"],
                       cwd=REPO, capture_output=True, text=True, env=env)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_mnist_cli():
    if not os.path.isfile(os.path.join(NETS_DIR, "mnist.json")):
        pytest.skip("nets/mnist.json not trained")
    try:
        data.load("mnist", "heldout")
    except data.DatasetUnavailable as exc:
        pytest.skip(str(exc))
    r = _eval_json("--net", "mnist", "--limit", "20")
    assert r["snn_equals_int"] == 1.0 and r["snn_acc"] >= 0.9


def test_jobs_give_the_same_result():
    """--jobs splits the event-driven model over processes; the figures do not change."""
    from golden.evaluate import evaluate as run
    one = run("digits", limit=24)
    two = run("digits", limit=24, jobs=2)
    one.pop("seconds"), two.pop("seconds")
    assert one == two


def test_depth_table(tmp_path):
    """The depth rows measure what they say: CAT = golden.dense on the file, firing fractions
    from the dense spikes, plain conversion from build/ptq/ when present."""
    import numpy as np

    from golden import dense, network
    from golden import evaluate as ev
    rows = ev.depth_rows(names=("digits", "digits-nothere"), limit=60, ptq_dir=str(tmp_path))
    assert rows[1] == {"net": "digits-nothere", "missing": "nets/digits-nothere.json not found"}
    r = rows[0]
    net = network.load("digits")
    x, y = data.load("digits", "heldout")
    _, res = dense.run(net, x[:60])
    assert r["cat_acc"] == float((np.argmax(res[-1].membrane, axis=1) == y[:60]).mean())
    assert r["firing"] == [round(float((l.spikes < net.T).mean()), 4) for l in res[:-1]]
    assert r["conv_layers"] == 2 and r["ptq_source"] == "training record"
    # a plain-conversion file in ptq_dir is measured (here: the CAT file itself)
    (tmp_path / "digits.json").write_text(open(os.path.join(NETS_DIR, "digits.json")).read())
    r2 = ev.depth_rows(names=("digits",), limit=60, ptq_dir=str(tmp_path))[0]
    assert r2["ptq_acc"] == r["cat_acc"] and r2["ptq_source"].endswith("digits.json")
    md = ev.depth_markdown(rows)
    assert "| digits | 2 | 8 | 60 |" in md and "digits-nothere" in md and "firing %" in md
