"""The SKY130 flow (Liberty file beside the project, OpenSTA) on the tiny network at P = 2, and
its one-line failure when either is missing."""

import json

import pytest

from gen import synth

pytestmark = pytest.mark.synth


def test_sky130(tiny, settings, tmp_path):
    """The standard-cell flow end to end when the Liberty file and OpenSTA are there: area,
    memories apart, fanout repair and an OpenSTA slack under each stated wire model (skipped,
    with the reason, without the file or OpenSTA)."""
    try:
        synth.check_target("sky130", settings)
    except synth.SynthError as exc:
        pytest.skip(str(exc))
    e = synth.run_target("sky130", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    assert e["adder"] == settings["sky130"]["adder"] == "prefix"
    # weights and membranes (2 cores) and the 2 spike buffers (the parameters are too few)
    assert 0 < e["logic_kge"] and e["memories"] == 2 * 2 + 2 and e["memory_um2_est"] > 0
    assert e["fanout_buffers"]["max_fanout"] == settings["sky130"]["max_fanout"]
    models = e["sta"]["wire_models"]
    # the Liberty file beside the project has a default wire-load model ("Small")
    assert list(models) == ["ideal", "liberty_wlm", "routed"]
    for m in models.values():
        assert m["achieved_period_ns"] == pytest.approx(e["period_ns"] - m["worst_slack_ns"],
                                                        abs=1e-3)
        assert m["meets_period"] == (m["worst_slack_ns"] >= 0)
        assert m["tns_ns"] <= 0 and m["assumption"]
    # wire capacitance only slows a path down: no wire >= the Liberty model >= 5 fF per net
    assert (models["ideal"]["worst_slack_ns"] >= models["liberty_wlm"]["worst_slack_ns"]
            > models["routed"]["worst_slack_ns"])
    load = settings["sky130"]["routed_net_load_ff"]
    assert models["routed"]["net_load_ff"] == load and f"{load:g} fF" in models["routed"][
        "assumption"]
    # the report states the models and that the SRAM area is a lower bound
    synth.write_report(str(tmp_path), {"tiny/p2/sky130": e})
    md = (tmp_path / "report.md").read_text()
    for m in models.values():
        assert m["assumption"] in md
    assert "SRAM ≥" in md and "lower bound" in md


def test_sky130_fails_without_liberty(tiny, settings, tmp_path, monkeypatch, capsys):
    """No Liberty file: one line naming the file and the setting, exit status 2, no report
    and no work directory (the check comes before any run)."""
    missing = tmp_path / "none.lib"
    monkeypatch.setenv(settings["sky130"]["liberty_env"], str(missing))
    with pytest.raises(synth.SynthError, match="no Liberty file .*SNN_LIBERTY"):
        synth.run_target("sky130", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    out = tmp_path / "out"
    assert synth.main(["--target", "sky130", "--net", "digits", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0] and "SNN_LIBERTY" in err[0]
    assert not out.exists()
    # the sweep checks every target before it runs any
    assert synth.main(["--sweep", "--ps", "1", "--targets", "generic,sky130",
                       "--out", str(out)]) == 2
    assert "SNN_LIBERTY" in capsys.readouterr().err and not out.exists()


def test_sky130_fails_without_opensta(tiny, settings, tmp_path, monkeypatch):
    """OpenSTA neither where the setting says nor on PATH: one line naming the setting."""
    lib = tmp_path / "cells.lib"
    lib.write_text("library (x) { }\n")
    monkeypatch.setenv(settings["sky130"]["liberty_env"], str(lib))
    monkeypatch.setenv("PATH", str(tmp_path))  # no sta on PATH
    no_sta = json.loads(json.dumps(settings))
    no_sta["sky130"]["sta"] = str(tmp_path / "bin" / "sta")
    with pytest.raises(synth.SynthError, match=r"OpenSTA not found at .*sky130\.sta"):
        synth.run_target("sky130", tiny, "test", 2, out_dir=str(tmp_path / "out"),
                         settings=no_sta)
    assert not (tmp_path / "out").exists()


def test_liberty_wire_load_model():
    """The default wire-load model of a Liberty file, as wire capacitance per fan-out."""
    from gen.synth.sta import liberty_default_wire_load, wire_models
    lib = ('library (x) { wire_load("Tiny") { capacitance : 2e-05; resistance : 0.1; '
           'fanout_length( 1, 10); fanout_length( 4, 50.5); }\n'
           'default_wire_load : "Tiny" ;\n}')
    assert liberty_default_wire_load(lib) == ("Tiny", {1: 0.2, 4: 1.01})
    assert liberty_default_wire_load("library (x) { }") is None
    names = [m[0] for m in wire_models(liberty_default_wire_load(lib), 5.0)]
    assert names == ["liberty_wlm", "ideal", "routed"]  # OpenSTA's starting model first
    assert [m[0] for m in wire_models(None, 5.0)] == ["ideal", "routed"]
