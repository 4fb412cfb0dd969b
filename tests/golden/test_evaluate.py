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
