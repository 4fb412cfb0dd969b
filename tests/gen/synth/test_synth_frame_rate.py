"""Frames per second of a preset's workload (``gen.synth.frame_rate``): the clocks it divides,
the memory latency it assumes, and the report text (no synthesis run)."""

import pytest

from gen import synth
from gen.synth.frame_rate import WORKLOADS, frame_rates, workload_cycles
from gen.synth.report import REPORT_FORMAT, workload_text
from golden import workload
from golden.capacity import PRESETS
from verif.proc_harness import DEFAULT_LATENCY, READER_DELAY


def _sky130(mhz_by_model):
    return {"report_format": REPORT_FORMAT, "target": "sky130", "network": "processor vgg16",
            "cores": 32, "logic_kge": 1.0, "logic_um2": 3.75e3, "memories": 0,
            "memory_bits": 0, "memory_um2_est": 0.0, "period_ns": 5.0, "seconds": 1.0,
            "sta": {"wire_models": {name: {"worst_slack_ns": 5.0 - 1e3 / mhz,
                                           "achieved_mhz": mhz, "achieved_period_ns": 1e3 / mhz,
                                           "tns_ns": 0.0, "assumption": name,
                                           "critical_path": {"startpoint": "a", "endpoint": "b"}}
                                    for name, mhz in mhz_by_model.items()},
                    "note": "n"},
            "settings": {"sram_source": "s"}}


def test_one_frame_rate_per_clock_the_run_reached():
    sky = _sky130({"ideal": 100.0, "liberty_wlm": 80.0, "routed": 50.0})
    assert frame_rates(sky, 4_000_000) == {"ideal": 25.0, "liberty_wlm": 20.0, "routed": 12.5}
    assert frame_rates({"target": "ecp5", "fmax_mhz": 36.1}, 1_000_000) == {"nextpnr": 36.1}
    assert frame_rates({"target": "generic", "cells": 3}, 1_000) == {}


def test_the_cycles_are_those_of_the_regression_memory(settings):
    """The port latency of the settings is the regression's: its AXI memory's latency plus the
    cycle the AXI read master adds, so that the frame rate divides the cycles it measured."""
    assert settings["frame_rate"]["port_latency_cycles"] == DEFAULT_LATENCY + READER_DELAY
    # every workload is a preset's and golden.workload's network
    assert set(WORKLOADS) <= set(PRESETS) and set(WORKLOADS.values()) == {workload.NAME}
    assert workload_cycles("ecp5-mnist", settings) is None


def test_report_states_the_cycles_and_each_clock(tmp_path):
    e = _sky130({"ideal": 100.0, "routed": 50.0})
    e.update({"workload": {"network": "vgg16-shape-random", "images": 2,
                           "cycles": [3_900_000, 4_100_000], "cycles_per_inference": 4e6,
                           "port_latency_cycles": 9, "model": "the model"},
              "workload_fps": frame_rates(e, 4e6)})
    text = workload_text(e)
    assert text == ("vgg16-shape-random: 4,000,000.0 cycles per inference; 25.00 frames/s at "
                    "100.0 MHz (no wire), 12.50 frames/s at 50.0 MHz (routed est.)")
    synth.write_report(str(tmp_path), {"processor-vgg16/top/sky130": e})
    md = (tmp_path / "report.md").read_text()
    assert "## processor-vgg16/top/sky130: workload frames per second" in md
    assert text in md and "per image 3,900,000, 4,100,000" in md
    assert "not a characterised macro's access time" in md


@pytest.mark.parametrize("key,bad", [("port_latency_cycles", 0), ("port_latency_cycles", "9"),
                                     ("images", 0), ("images", True)])
def test_a_bad_setting_fails_before_any_work(settings, key, bad):
    s = {**settings, "frame_rate": {**settings["frame_rate"], key: bad}}
    with pytest.raises(synth.SynthError, match=rf"frame_rate\.{key} must be an integer >= 1, "
                       rf"not {bad!r}"):
        workload_cycles("vgg16", s)
