"""The SKY130 flow (Liberty file beside the project, OpenSTA) on the tiny network at P = 2."""

import pytest

from gen import synth

pytestmark = pytest.mark.synth


def test_sky130(tiny, settings, tmp_path):
    """The standard-cell flow end to end when the Liberty file is beside the project: area,
    memories apart, fanout repair and an OpenSTA slack (skipped without the file or OpenSTA)."""
    import os
    import shutil
    if not os.path.exists(synth.liberty_path(settings)):
        pytest.skip("no SKY130 Liberty file beside the project")
    try:
        e = synth.run_target("sky130", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    except synth.Skipped as exc:
        pytest.skip(str(exc))
    assert e["adder"] == settings["sky130"]["adder"] == "prefix"
    # weights and membranes (2 cores) and the 2 spike buffers (the parameters are too few)
    assert 0 < e["logic_kge"] and e["memories"] == 2 * 2 + 2 and e["memory_um2_est"] > 0
    assert e["fanout_buffers"]["max_fanout"] == settings["sky130"]["max_fanout"]
    if shutil.which("sta") or os.path.exists(settings["sky130"]["sta"]):
        sta = e["sta"]
        assert sta["achieved_period_ns"] == pytest.approx(e["period_ns"] - sta["worst_slack_ns"],
                                                          abs=1e-3)
        assert sta["meets_period"] == (sta["worst_slack_ns"] >= 0)


def test_sky130_skips_without_liberty(tiny, settings, tmp_path, monkeypatch):
    monkeypatch.setenv(settings["sky130"]["liberty_env"], str(tmp_path / "none.lib"))
    with pytest.raises(synth.Skipped):
        synth.run_target("sky130", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
