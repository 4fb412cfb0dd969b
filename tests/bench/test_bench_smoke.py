"""Fast smoke test of ``python -m bench --quick`` (digits, tiny subsets) into a tmp dir."""

import json
import os

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
