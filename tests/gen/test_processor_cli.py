"""``python -m gen.processor --preset NAME``: the processor's Verilog and manifest, and what it
refuses (one line, exit status 2, nothing written)."""

import json
import os
import subprocess
import sys

import pytest

from golden.capacity import PRESETS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _gen(cwd, *args):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "gen.processor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_writes_the_processor_of_a_preset(tmp_path):
    p = _gen(tmp_path, "--preset", "ice40-digits")
    assert p.returncode == 0, p.stderr
    out = "build/processor-ice40-digits"
    assert _files(tmp_path) == [f"{out}/manifest.json", f"{out}/snn_processor.v"]
    man = json.loads((tmp_path / out / "manifest.json").read_text())
    assert man["capacity"] == PRESETS["ice40-digits"].as_dict()
    ports = {q["name"]: q for q in man["ports"]}
    for name in ("m_axi_araddr", "m_axi_rdata", "s_axil_awaddr", "s_axil_rdata", "irq",
                 "scores__valid", "trace__payload"):
        assert name in ports, name
    assert ports["m_axi_rdata"]["width"] == PRESETS["ice40-digits"].data_bits
    assert "module snn_processor(" in (tmp_path / out / "snn_processor.v").read_text()


@pytest.mark.parametrize("args,needle", [
    (["--preset", "no-such"], "argument --preset: invalid choice: 'no-such'"),
    ([], "the following arguments are required: --preset"),
    (["--preset", "ice40-digits", "--out", "{file}"], "exists and is not a folder"),
])
def test_refuses_bad_input(tmp_path, args, needle):
    (tmp_path / "file.txt").write_text("a regular file\n")
    args = [a.replace("{file}", str(tmp_path / "file.txt")) for a in args]
    before = _files(tmp_path)
    p = _gen(tmp_path, *args)
    assert (p.returncode, p.stdout, "Traceback" in p.stderr) == (2, "", False), p.stderr
    assert len(p.stderr.splitlines()) == 1 and needle in p.stderr, p.stderr
    assert _files(tmp_path) == before
