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
