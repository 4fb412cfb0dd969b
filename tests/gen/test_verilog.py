"""Verilog generation: byte-identical output, manifest, lint, bad input."""

import json
import os

import numpy as np
import pytest

from gen.lint import lint_file
from gen.verilog import build_config, emit, write_design
from golden import network
from golden import randnet as R


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    net = R.random_network(np.random.default_rng(0), (1, 8, 8),
                           [R.conv(8), R.pool(), R.conv(16), R.pool(), R.classifier(10)], T=8,
                           name="tiny")
    path = tmp_path_factory.mktemp("net") / "tiny.json"
    network.save(net, str(path))
    return str(path)


def _read_all(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, d)] = open(p, "rb").read()
    return out


def test_output_is_byte_identical(net_file, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_design(build_config(net_file, 4), str(a))
    write_design(build_config(net_file, 4), str(b))
    fa, fb = _read_all(a), _read_all(b)
    assert fa == fb and "snn_accel.v" in fa and "manifest.json" in fa


def test_manifest(net_file, tmp_path):
    man = write_design(build_config(net_file, 4), str(tmp_path))
    on_disk = json.load(open(tmp_path / "manifest.json"))
    assert on_disk["cores"] == 4 and on_disk["T"] == 8
    assert on_disk["memories"]["weights"]["depth"] == man["memories"]["weights"]["depth"]
    names = {p["name"] for p in on_disk["ports"]}
    assert {"pixels__valid", "scores__payload", "prediction__ready", "trace__valid",
            "load__payload", "phase", "layer"} <= names
    weights = (tmp_path / "mem" / "core0_weights.hex").read_text().split()
    assert len(weights) == man["memories"]["weights"]["depth"]


@pytest.mark.parametrize("P,adder", [(1, "carry"), (3, "prefix"), (8, "carry")])
def test_lint_passes(net_file, tmp_path, P, adder):
    man = write_design(build_config(net_file, P, adder=adder), str(tmp_path))
    assert man["adder"] == adder
    for tool, ok, text in lint_file(str(tmp_path / man["verilog"]), man["top"]):
        assert ok, f"{tool}: {text[:2000]}"


def test_components_emit_on_their_own(net_file):
    from rtl.layouts import event_layout
    from rtl.spike_buffer import SpikeBuffer
    from rtl.weight_decoder import WeightDecoder
    cfg = build_config(net_file, 2)
    assert "module weight_decoder" in emit(WeightDecoder(frac_bits=21, time_bits=3),
                                          "weight_decoder")
    assert "module spike_buffer" in emit(SpikeBuffer(event_layout(cfg), depth=64),
                                        "spike_buffer")


class _ManifestWriteFails:
    """Stands in for the ``json`` module of gen.verilog: the manifest, written last, fails."""

    @staticmethod
    def dumps(obj, *args, **kwargs):
        if isinstance(obj, dict) and "memory_images" in obj:
            raise OSError(28, "No space left on device")
        return json.dumps(obj, *args, **kwargs)


def test_failure_leaves_no_partial_output(net_file, tmp_path, monkeypatch):
    import gen.verilog
    cfg = build_config(net_file, 2)
    monkeypatch.setattr(gen.verilog, "json", _ManifestWriteFails)
    with pytest.raises(OSError, match="No space left"):
        write_design(cfg, str(tmp_path / "new"))
    assert os.listdir(tmp_path) == []
    # over an earlier design: that design stays as it was
    monkeypatch.undo()
    write_design(build_config(net_file, 4), str(tmp_path / "old"))
    before = _read_all(tmp_path / "old")
    monkeypatch.setattr(gen.verilog, "json", _ManifestWriteFails)
    with pytest.raises(OSError, match="No space left"):
        write_design(cfg, str(tmp_path / "old"))
    assert _read_all(tmp_path / "old") == before and os.listdir(tmp_path) == ["old"]


def test_regeneration_replaces_the_whole_design(net_file, tmp_path):
    write_design(build_config(net_file, 4), str(tmp_path / "d"))
    write_design(build_config(net_file, 2), str(tmp_path / "d"))
    assert sorted(os.listdir(tmp_path / "d" / "mem")) == [
        "core0_weights.hex", "core1_weights.hex", "params_bias.hex", "params_threshold.hex"]


def test_a_folder_that_is_not_a_design_is_never_replaced(net_file, tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(FileExistsError, match="not a design folder"):
        write_design(build_config(net_file, 2), str(tmp_path))
    assert os.listdir(tmp_path) == ["notes.txt"]
