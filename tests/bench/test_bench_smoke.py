"""Fast smoke test of ``python -m bench --quick`` (digits, tiny subsets) into a tmp dir."""

import json
import os

import pytest

from bench.__main__ import main
from bench.report import SECTIONS


def test_bench_quick(tmp_path):
    out = tmp_path / "bench"
    assert main(["--quick", "--out", str(out), "--rtl-images", "1"]) == 0
    md = (out / "report.md").read_text()
    for s in SECTIONS:
        assert s in md, s
    assert "VGG-16" in md and "486.7" in md
    rep = json.loads((out / "report.json").read_text())
    for key in ("results", "comparisons", "vgg16", "speed", "energy_assumptions", "figures"):
        assert key in rep
    assert rep["results"]["digits"], "digits was not measured"
    for name in rep["figures"].values():
        assert os.path.getsize(out / name) > 1000
    assert "accuracy_vs_T" in rep["figures"] and "raster_digits" in rep["figures"]
    # the stable headline keys (issue 14): --quick measures no mnist, so those are None
    for key in ("mnist_cycles_p8", "mnist_latency_us_ecp5", "vgg16_cifar10_uj_28nm",
                "ttfs_vs_rate_spike_ratio_mnist"):
        assert key in rep, key
    assert rep["mnist_cycles_p8"] is None and rep["ttfs_vs_rate_spike_ratio_mnist"] is None
    by = rep["vgg16_cifar10_uj_28nm_by_dataflow"]
    assert set(by) == {"reference", "kernel_window", "output_stationary"}
    assert rep["vgg16_cifar10_uj_28nm"] == min(by.values()) > 0
    assert "VGG-16 on 3×32×32 on the processor" in md


def test_headline_keys_from_measured_rows(tmp_path):
    """mnist's cycles come from the cycle model row, the latency from the synthesised ECP5
    Fmax of P = 8 (never a typed-in clock), the ratio from the matched comparisons."""
    from bench.run import ecp5_fmax, headline
    rows = {"mnist": [{"net": "mnist", "coding": "ttfs", "fire_rule": "round", "T": 8,
                       "cycles_model": 20000.0, "int_acc": 0.99},
                      {"net": "mnist-ttfs-t2", "coding": "ttfs", "fire_rule": "round", "T": 2,
                       "cycles_model": 9000.0, "int_acc": 0.98},
                      {"net": "mnist-sparse", "coding": "ttfs", "fire_rule": "round", "T": 3,
                       "cycles_model": 30000.0, "int_acc": 0.995}]}
    comps = {"mnist": [{"equal_or_better": True, "spike_ratio": 2.5},
                       {"equal_or_better": True, "spike_ratio": 2.1},
                       {"equal_or_better": False, "spike_ratio": 9.0}]}
    vgg = {"dataflows": {"reference": {"uj": {"total": 500.0}},
                         "kernel_window": {"uj": {"total": 150.0}}},
           "best": "kernel_window", "external_uj": (1000.0, 2000.0)}
    pts = [(1, {"ecp5.fmax_mhz": 120.0}), (8, {"ecp5.fmax_mhz": 100.0})]
    out, notes = headline(rows, comps, vgg, pts, str(tmp_path), 8)
    assert out["mnist_cycles_p8"] == 20000.0 and out["mnist_cycles_net"] == "mnist"
    # a faster network counts only when it is at least as accurate as mnist
    rows["mnist"][2]["cycles_model"] = 10000.0
    assert headline(rows, comps, vgg, pts, str(tmp_path), 8)[0]["mnist_cycles_net"] == \
        "mnist-sparse"
    rows["mnist"][2]["cycles_model"] = 30000.0
    assert out["mnist_latency_us_ecp5"] == pytest.approx(200.0)
    assert out["ttfs_vs_rate_spike_ratio_mnist"] == 2.1
    assert out["vgg16_cifar10_uj_28nm"] == 150.0
    assert out["vgg16_cifar10_dataflow"] == "kernel_window"
    # without a synthesis of P = 8 there is no latency, and the note says why
    out, notes = headline(rows, comps, vgg, pts[:1], str(tmp_path), 8)
    assert out["mnist_latency_us_ecp5"] is None and "make synth-sweep" in notes["ecp5_fmax_mhz_p8"]
    # gen.synth's report.json is the second source
    (tmp_path / "synth").mkdir()
    (tmp_path / "synth" / "report.json").write_text(
        json.dumps({"digits/p8/ecp5": {"fmax_mhz": 105.8}, "digits/p8/ice40": {}}))
    assert ecp5_fmax([], str(tmp_path), 8)[0] == 105.8
    # at another P the bench does not claim a P = 8 figure
    assert headline(rows, comps, vgg, pts, str(tmp_path), 4)[0]["mnist_cycles_p8"] is None


def test_sweep_points_reads_gen_synth_layout(tmp_path):
    from bench import measure as M
    from bench import plots
    sweep = {"network": "digits", "targets": ["generic", "ecp5"], "skipped": {},
             "rows": [{"cores": 8, "generic": {"cells": 27000, "seconds": 20.0},
                       "ecp5": {"luts": 20000, "fmax_mhz": 70.2}},
                      {"cores": 1, "generic": {"cells": 5000}, "ecp5": {"luts": 4000,
                                                                        "fmax_mhz": 80.1}}]}
    pts = M.sweep_points(sweep)
    assert [p for p, _ in pts] == [1, 8]
    assert pts[1][1]["ecp5.fmax_mhz"] == 70.2 and pts[1][1]["generic.seconds"] == 20.0
    assert plots.synth_vs_P(pts, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_discover_takes_sparse_networks_not_deep_ones(tmp_path):
    """``<ds>-sparse`` (the data set's network trained with the activity regulariser) is
    compared with the other variants; deep networks keep their own section."""
    import shutil

    from bench import measure as M
    from golden.nets import NETS_DIR
    for stem in ("mnist-sparse", "mnist-conv4", "mnist-rate-t2"):
        shutil.copy(os.path.join(NETS_DIR, "mnist.json"), tmp_path / f"{stem}.json")
    found, _, bad = M.discover(str(tmp_path), datasets=("mnist",))
    assert not bad
    assert sorted(t[0] for t in found["mnist"]) == ["mnist-rate-t2", "mnist-sparse"]
