"""``make run`` on the processor (``verif.proc_run``): the preset it picks, the clock it reports
at, and a run of held-out digits images on the generated ``ice40-digits`` processor under
Verilator, checked against the golden model, with its report; the run reports a difference
from the golden model and a cycle count it could not check. The command line's refusals are in
``tests/test_cli_errors.py``."""

import json

import pytest

from golden import network
from golden.capacity import PRESETS, DoesNotFit
from golden.image import bytes_read, write_image
from golden.processor_cycles import inference_cycles
from verif import proc_harness as PH
from verif import proc_run, runner


@pytest.mark.parametrize("name,expected", [("digits", "ice40-digits"), ("mnist", "ecp5-mnist"),
                                           ("mnist-conv4", "ecp5-mnist"),
                                           ("mnist-vgg16", "vgg16"),
                                           ("digits-rate-t4", "ecp5-mnist-rate-t4"),
                                           ("mnist-rate-t8", "ecp5-mnist-rate-t8")])
def test_default_preset_is_the_smallest_that_fits(name, expected):
    assert proc_run.smallest_preset(network.load(name)).name == expected


@pytest.mark.parametrize("name,needle", [("digits-ttfs-t4", "T 8 != 4"),
                                         ("digits-floor", "fire_rule round != floor")])
def test_a_network_that_fits_no_preset_is_named_with_the_largest_presets_limit(name, needle):
    with pytest.raises(DoesNotFit) as exc:
        proc_run.smallest_preset(network.load(name))
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith(f"{name} fits no capacity preset ({', '.join(PRESETS)});")
    assert f"does not fit vgg16: {needle}" in text   # the largest preset of its coding


def test_the_smallest_preset_is_the_one_of_least_memory():
    """smallest_preset takes the fitting preset of least generated memory: the TTFS presets
    grow along ice40-digits, ecp5-mnist, vgg16 in every size."""
    caps = [PRESETS[n] for n in ("ice40-digits", "ecp5-mnist", "vgg16")]
    assert [proc_run.preset_size(c) for c in caps] == sorted(proc_run.preset_size(c)
                                                             for c in caps)

    def sizes(c):
        return {"cores": c.cores, "membrane words": c.cores * c.membrane_words,
                "membrane bits": c.cores * c.membrane_words * c.membrane_bits,
                "weight words": c.cores * c.weight_words,
                "param words": c.cores * c.param_words, "spike_events": c.spike_events,
                **{f: getattr(c, f) for f in ("max_layers", "max_channels", "max_map",
                                              "data_bits", "max_bursts")}}
    for a, b in zip(caps, caps[1:]):
        for f, v in sizes(a).items():
            assert v <= sizes(b)[f], (a.name, b.name, f)
    assert set(proc_run.PRESET_TARGET) == set(PRESETS)


def test_report_clock_is_the_presets_target_clock():
    assert proc_run.report_clock(PRESETS["ice40-digits"]) == (
        12.0, "the ice40 target clock of constraints/targets.json")
    assert proc_run.report_clock(PRESETS["ecp5-mnist"])[0] == 100.0
    mhz, where = proc_run.report_clock(PRESETS["vgg16"])
    assert mhz == 200.0 and "sky130 clock period" in where and "5 ns" in where


def test_synthesised_clock_comes_from_the_synth_report(tmp_path):
    report = tmp_path / "report.json"
    cap = PRESETS["ecp5-mnist"]
    assert proc_run.synthesised_clock(cap, report)[0] is None   # no report
    report.write_text(json.dumps({
        "processor-ecp5-mnist/top/ecp5": {"fmax_mhz": 36.1, "device": "45k"},
        "processor-vgg16/top/sky130": {"sta": {"wire_models": {
            "ideal": {"achieved_mhz": 250.0},
            "routed": {"achieved_mhz": 150.0, "assumption": "5 fF"}}}}}))
    mhz, where = proc_run.synthesised_clock(cap, report)
    assert mhz == 36.1 and "nextpnr" in where and "45k" in where
    mhz, where = proc_run.synthesised_clock(PRESETS["vgg16"], report)
    assert mhz == 150.0 and "'routed'" in where
    mhz, where = proc_run.synthesised_clock(PRESETS["ice40-digits"], report)
    assert mhz is None and "make synth PRESET=ice40-digits TARGET=ice40" in where


# -- runs under Verilator ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def harness():
    why = runner.sim_available("verilator")
    if why:
        pytest.skip(why)
    # a few thousand cycles per image: the compile dominates, so -O0 (make run uses -O2)
    return PH.ProcHarness(PRESETS["ice40-digits"], opt="-O0")


def _quiet(_):
    pass


@pytest.mark.sim
def test_run_digits_on_the_processor_writes_a_checked_report(harness, tmp_path):
    out = tmp_path / "run"
    r = proc_run.run("digits", None, 3, str(out), harness=harness, log=_quiet)
    assert r["preset"] == "ice40-digits" and "smallest" in r["preset_choice"]
    assert r["images"] == 3 and r["equal_golden"] == 3 and r["mismatches"] == []
    digits = network.load("digits")
    cap = PRESETS["ice40-digits"]
    # what the harness checked, seen again from the report
    for row in r["per_image"]:
        assert row["equal"] and row["cycles"] == row["model_cycles"]
        assert row["bytes"] == bytes_read(digits, cap)
        assert row["prediction"] == row["golden"]
    assert r["cycle_model_equal"] == 3
    assert r["passes_per_layer"] == [1, 1, 1]
    assert r["verilog"]["sha256"] == harness.verilog_sha256
    assert (out / "network.img").read_bytes() == write_image(digits, cap)
    saved = json.loads((out / "report.json").read_text())
    assert saved["per_image"] == r["per_image"]
    md = (out / "report.md").read_text()
    assert "| equal to golden (see below) | 3 / 3 |" in md
    assert "latency at 12 MHz" in md
    # a second run replaces the folder whole
    r2 = proc_run.run("digits", "ice40-digits", 1, str(out), harness=harness, log=_quiet)
    assert r2["preset_choice"] == "given (PRESET)"
    assert len(json.loads((out / "report.json").read_text())["per_image"]) == 1


@pytest.mark.sim
def test_run_reports_a_difference_from_the_golden_model(harness, tmp_path, monkeypatch):
    real = PH.golden

    def wrong(net, pixels, capacity):
        g = real(net, pixels, capacity)
        g.expected.prediction = (g.expected.prediction + 1) % 10
        return g
    monkeypatch.setattr(PH, "golden", wrong)
    r = proc_run.run("digits", None, 2, str(tmp_path / "run"), harness=harness, log=_quiet)
    assert r["equal_golden"] == 0
    assert len(r["mismatches"]) == 2 and "prediction" in r["mismatches"][0]
    assert "## Mismatches" in (tmp_path / "run" / "report.md").read_text()


@pytest.mark.sim
def test_run_counts_unchecked_cycles_as_a_difference(harness, tmp_path, monkeypatch):
    """Without a cycle model the harness only reports CYCLES: make run does not call that
    equal."""
    monkeypatch.setattr(PH, "cycle_model", lambda: None)
    r = proc_run.run("digits", None, 1, str(tmp_path / "run"), harness=harness, log=_quiet)
    assert r["equal_golden"] == 0
    assert "not checked" in r["mismatches"][0]


@pytest.mark.sim
def test_run_cycles_are_the_cycle_model_at_the_memory_latency(harness, tmp_path):
    """The report's cycles are the processor cycle model's at the AXI memory's latency plus
    the read master's cycle (independently of the harness's own comparison)."""
    from golden import data, event
    r = proc_run.run("digits", None, 2, str(tmp_path / "run"), harness=harness, log=_quiet)
    digits = network.load("digits")
    x, _ = data.load("digits", "heldout")
    for row, image in zip(r["per_image"], x[:2]):
        tr = event.run(digits, image)
        model = inference_cycles(digits, PRESETS["ice40-digits"], tr,
                                 latency=PH.DEFAULT_LATENCY + PH.READER_DELAY)
        assert row["cycles"] == model.done
        assert row["events"] == tr.counts["events"]
        assert row["synops"] == tr.counts["synops"]
