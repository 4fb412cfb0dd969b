"""``build/synth/report.{json,md}``: merged runs, and no figure of an older layout."""

import json

from gen import synth
from gen.synth.report import REPORT_FORMAT


def _generic_entry(cores):
    return {"report_format": REPORT_FORMAT, "target": "generic", "network": "tiny",
            "cores": cores, "cells": 1000 * cores, "flip_flops": 10, "memories": 6,
            "memory_bits": 9000, "transistors": 5000, "seconds": 1.0}


def test_report_merges_runs_and_drops_old_layouts(tmp_path):
    """Runs merge by key; an entry written by an older gen.synth (no ``report_format``, e.g.
    an FPGA row whose only logic figure is the LUT4 count before packing) is dropped rather
    than shown beside figures that are labelled differently."""
    old = {"digits/p8/ecp5": {"target": "ecp5", "network": "digits", "cores": 8,
                              "luts": 3240, "seconds": 1.0}}
    (tmp_path / "report.json").write_text(json.dumps(old))
    synth.write_report(str(tmp_path), {"tiny/p1/generic": _generic_entry(1)})
    synth.write_report(str(tmp_path), {"tiny/p2/generic": _generic_entry(2)})
    rep = json.loads((tmp_path / "report.json").read_text())
    assert sorted(rep) == ["tiny/p1/generic", "tiny/p2/generic"]
    md = (tmp_path / "report.md").read_text()
    assert "| tiny | 1 | generic |" in md and "| tiny | 2 | generic |" in md
    assert "digits" not in md


def test_sweep_names_its_figures(tmp_path):
    """The sweep keeps each figure under a name that says what it is: ECP5 placed resources
    apart from the LUT4 count before packing, SKY130 slack per wire model."""
    def model(slack):
        return {"worst_slack_ns": slack, "achieved_mhz": round(1000 / (5 - slack), 1)}
    sky = {"logic_kge": 11.6, "memory_um2_est": 504772.2,
           "sta": {"wire_models": {"ideal": model(1.216), "liberty_wlm": model(0.966),
                                   "routed": {**model(0.056),
                                              "assumption": "5 fF of wire on every net"}}}}
    ecp5 = {"device": "25k", "luts": 1237, "brams": 4, "fmax_mhz": 113.0,
            "placed": {"TRELLIS_COMB": {"used": 2201, "available": 24288},
                       "slices": {"used": 1354, "available": 12144, "lower_bound": 1101}}}

    class Net:
        name = "digits"
    synth.write_sweep(str(tmp_path), Net, [{"cores": 1, "sky130": sky, "ecp5": ecp5}],
                      ["sky130", "ecp5"])
    row = json.loads((tmp_path / "sweep.json").read_text())["rows"][0]
    assert row["ecp5"] == {"device": "25k", "luts": 1237, "brams": 4, "fmax_mhz": 113.0,
                           "placed_trellis_comb": 2201, "placed_slices": 1354}
    assert row["sky130"]["worst_slack_ns_routed"] == 0.056
    assert row["sky130"]["achieved_mhz_ideal"] == 264.3
    md = (tmp_path / "sweep.md").read_text()
    assert ("| 1 | - | - | - | 11.6 | 504,772 | +1.216 | +0.056 | 264.3 / 202.3 | 25k | 2,201 "
            "| 1,354 | 1,237 | 4 | 113.0 |") in md
    assert "5 fF of wire on every net" in md and (tmp_path / "sweep.png").stat().st_size > 0
