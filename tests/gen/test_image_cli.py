"""``python -m gen --image --preset``: the image and summary it writes, and what it refuses."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from golden import capacity as C
from golden import image as I
from golden.network import load

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _gen(cwd, *args):
    """``python -m gen args`` run from ``cwd`` (so that the default build/ lands there)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "gen", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


@pytest.mark.parametrize("net,preset", [("digits", "ice40-digits"), ("mnist", "ecp5-mnist"),
                                        ("mnist-vgg16", "vgg16")])
def test_writes_image_and_summary(tmp_path, net, preset):
    p = _gen(tmp_path, "--net", net, "--image", "--preset", preset)
    assert p.returncode == 0, p.stderr
    out = f"build/{net}-{preset}"
    assert _files(tmp_path) == [f"{out}/network.img", f"{out}/summary.json"]
    network, cap = load(net), C.PRESETS[preset]
    data = (tmp_path / out / "network.img").read_bytes()
    assert data == I.write_image(network, cap)
    info = json.loads((tmp_path / out / "summary.json").read_text())
    assert info["network"] == net and info["preset"] == preset
    assert info["capacity"] == cap.as_dict()
    assert info["image_bytes"] == len(data)
    assert info["image_sha256"] == hashlib.sha256(data).hexdigest()
    assert info["passes"] == [lp.passes for lp in C.plan(network, cap)]
    b = info["bytes_read"]
    assert b["data_bits"] == cap.data_bits and b["total"] == I.bytes_read(network, cap)
    assert b["total"] == sum(b[k] for k in ("header", "input", "descriptor", "params",
                                            "weights"))
    assert b["total"] == sum(layer["bytes_read"] for layer in info["layers"]) + 64 + \
        b["input"]
    assert p.stdout.startswith(f"gen: wrote {out}/network.img ({len(data)} bytes, "
                               f"P={cap.cores}, passes per layer ")


def test_out_folder_and_rewrite(tmp_path):
    out = tmp_path / "here"
    for _ in range(2):  # a second run replaces the files
        p = _gen(tmp_path, "--net", "digits", "--image", "--preset", "vgg16", "--out", str(out))
        assert p.returncode == 0, p.stderr
    assert _files(out) == ["network.img", "summary.json"]
    assert I.image_network((out / "network.img").read_bytes()).layers[0].weights.shape == \
        load("digits").layers[0].weights.shape


@pytest.mark.parametrize("args,line", [
    (["--net", "mnist-vgg16", "--image", "--preset", "ecp5-mnist"],
     "python -m gen: error: mnist-vgg16 does not fit ecp5-mnist: max_layers 8 < 14 (compute "
     "layers)"),
    (["--net", "mnist", "--image", "--preset", "ice40-digits"],
     "python -m gen: error: mnist does not fit ice40-digits: membrane_bits 29 < 33 (layer 3 "
     "worst-case membrane)"),
    (["--net", "digits-rate-t8", "--image", "--preset", "vgg16"],
     "python -m gen: error: digits-rate-t8 does not fit vgg16: coding ttfs != rate (fixed at "
     "generation)"),
    (["--net", "digits", "--image"],
     "python -m gen: error: --image needs --preset (ice40-digits, ecp5-mnist, vgg16, "
     "ecp5-mnist-rate-t2, ecp5-mnist-rate-t4, ecp5-mnist-rate-t8)"),
    (["--net", "digits", "--preset", "vgg16"], "python -m gen: error: --preset goes with --image"),
    (["--net", "digits", "--image", "--preset", "vgg16", "--p", "4"],
     "python -m gen: error: --p does not go with --image"),
    (["--net", "digits", "--image", "--preset", "vgg16", "--no-trace"],
     "python -m gen: error: --no-trace does not go with --image"),
    (["--net", "digits", "--image", "--preset", "big"],
     "python -m gen: error: argument --preset: invalid choice: 'big'"),
    (["--net", "no_such_net", "--image", "--preset", "vgg16"],
     "python -m gen: error: cannot read network file"),
    (["--net", "digits", "--image", "--preset", "vgg16", "--out", "{file}/x"],
     "python -m gen: error: "),
])
def test_refusals_are_one_line_and_write_nothing(tmp_path, args, line):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (tmp_path / "file").write_text("a file\n")
    args = [a.replace("{file}", str(tmp_path / "file")) for a in args]
    p = _gen(cwd, *args)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), p.stderr
    assert _files(tmp_path) == ["file"]
