# amaranth: UnusedElaboratable=no
"""Direct Verilator harness of the processor: network images and inputs in an AXI4 memory model,
the registers driven over AXI4-Lite, at full C++ speed.

The design is what ``gen.processor.write_processor`` writes for a capacity (``snn_processor.v``
and ``manifest.json``); ``verif/harness/proc_tb.cpp`` serves its AXI4 read master from
``verif/harness/axi_mem.h``'s memory model and drives its registers as a driver would (bases,
start, wait for ``irq``, read PREDICTION, CYCLES, BYTES, EVENTS[l], clear done). This module
places the network images (``golden.image.write_image``) and the input images (each at a base
of its own) in that memory, runs the harness and checks every inference against the golden
model:

* every event of every map (``verif.scoreboard.check``: neuron and spike time), and the order
  in which each firing layer wrote them, which must be the fixed-network accelerator's fire
  scan (``golden.cycles.buffer_order``: channel group, pooled position, lane; the input in
  pixel order);
* the scores (stream), the prediction (register);
* BYTES = ``golden.image.bytes_read`` and the bytes the memory model served;
* EVENTS[l] = the golden event count of every layer (classifier 0);
* STATUS (done, not busy, no error), ERROR 0, every register access answered OKAY, done
  cleared by its write-1-to-clear and ``irq`` low after it;
* CYCLES, under the fixed-latency memory (``Timing.exact``), equal to the processor's cycle
  model ``golden.processor_cycles`` when that module exists (``cycle_model()``); otherwise they
  are reported and ``Inference.model_cycles`` is None.

    harness = ProcHarness(PRESETS["vgg16"])   # emits, builds or reuses build/proc/<preset>-<hash>
    stalls = Timing(stall_prob=0.3, ready_prob=0.6, seed=5)
    for item in harness.check([Batch(net, x, labels), Batch(net2, x2, timing=stalls)]):
        item.ok, item.message, item.cycles, item.bytes   # an Inference per image, then RunTotals

One executable per design (``build/proc/<preset>-<hash>/proc_tb`` beside ``design/`` and
``build.log``); the hash covers the Verilog, the harness sources (``proc_tb.cpp``,
``axi_mem.h``), the Verilator version and the build flags, so the same Verilog runs every
network that fits its capacity without being generated or compiled again. All the batches of a
``check`` run in one harness process, one memory holding every network image and every input,
without a reset between networks.

Timing (``Timing``): ``latency`` cycles from an AR handshake to its first R beat; with
``stall_prob`` > 0 the memory drops ``arready`` and holds back beats at random, and the register
master pauses and drops ``bready``/``rready`` at random; ``ready_prob`` < 1 drops the ready of
the scores and trace streams (back-pressure). Results are checked under any timing; cycles only
under the exact one (no stalls, streams always ready).
"""

import hashlib
import math
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from golden import event
from golden import image as image_format
from golden.cycles import buffer_order
from rtl.config import event_maps, layer_geometry
from verif import runner
from verif.fast_harness import (
    BUILD_JOBS,
    CXX_OPT,
    HarnessError,
    RunTotals,
    _join,
    build_executable,
    run_executable,
)
from verif.scoreboard import Expected, Mismatch, Observation, check, expected_events
from verif.simio import codec

__all__ = ["HARNESS_SOURCES", "PROC_BUILD", "ProcHarness", "Timing", "Batch", "Inference",
           "RunTotals", "Golden", "golden", "cycle_model", "MEMORY_BASE", "DEFAULT_LATENCY"]

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
HARNESS_SOURCES = (HARNESS_DIR / "proc_tb.cpp", HARNESS_DIR / "axi_mem.h",
                   HARNESS_DIR / "tb_job.h")
PROC_BUILD = runner.ROOT / "build" / "proc"
#: the memory's first address (the network images, then the inputs, each aligned to
#: ``golden.image.ALIGN``); reads outside it answer SLVERR
MEMORY_BASE = 0x0010_0000
#: the memory model's cycles from an AR handshake to the first beat (fixed-latency mode)
DEFAULT_LATENCY = 8
#: an inference without ``irq`` after MIN_MAX_CYCLES + HANG_BEATS * (beats it reads) cycles is
#: declared hung (generous: a VGG-16 inference takes a few cycles per beat it reads)
MIN_MAX_CYCLES = 2_000_000
HANG_BEATS = 1000
#: idle cycles after a reset beyond ``membrane_words``: the CLEAR phase (one membrane address
#: per cycle, then the fire pipeline's drain) is over before the first start, as the cycle
#: model assumes
RESET_SETTLE = 32
#: cycles the AXI read master adds to the memory's latency (see ``model_cycles``)
READER_DELAY = 1
#: ERROR / STATUS bits (docs/PROCESSOR.md section 5)
STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 1, 2, 4
ID_VALUE = 0x534E4E50

_OP_END, _OP_RESET, _OP_MEMORY, _OP_RUN = 0, 1, 2, 3
_MAGIC = b"SNNPJOB1"
_INFER_WORDS = 21   # words of an INFER record after its op (proc_tb.cpp)


def cycle_model():
    """``golden.processor_cycles`` (the processor's cycle model) if the tree has it, else None:
    then cycles are reported, not checked, and ``Inference.model_cycles`` is None."""
    import importlib
    import importlib.util
    if importlib.util.find_spec("golden.processor_cycles") is None:
        return None
    return importlib.import_module("golden.processor_cycles")


@dataclass(frozen=True)
class Timing:
    """The memory's and the host's timing of a batch (see the module doc)."""
    latency: int = DEFAULT_LATENCY
    stall_prob: float = 0.0
    ready_prob: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if not isinstance(self.latency, int) or self.latency < 1:
            raise ValueError(f"latency must be an integer >= 1, not {self.latency!r}")
        if not 0.0 <= self.stall_prob < 1.0:
            raise ValueError(f"stall_prob must be in [0, 1), not {self.stall_prob!r}")
        if not 0.0 < self.ready_prob <= 1.0:
            raise ValueError(f"ready_prob must be in (0, 1], not {self.ready_prob!r}")

    @property
    def exact(self):
        """The timing the cycle model is exact for."""
        return self.stall_prob == 0.0 and self.ready_prob == 1.0

    def describe(self):
        if self.exact:
            return f"fixed latency {self.latency}"
        return (f"latency {self.latency}, stalls {self.stall_prob:.2f}, stream ready "
                f"{self.ready_prob:.2f}, seed {self.seed}")


@dataclass
class Batch:
    """Inferences of one network (a ``golden.network.Network``) on ``images`` (N, C, H, W)
    uint8, one after another with one ``timing``. ``indices`` name the images in messages
    (default 0..N-1); ``expected`` (index -> ``Golden``) replaces the golden model and
    ``image`` (bytes) the network image placed in memory (default
    ``golden.image.write_image(network, capacity)``), for tests that show that a wrong
    expectation or a bad image is caught."""
    network: object
    images: np.ndarray
    labels: object = None
    timing: Timing = field(default_factory=Timing)
    indices: object = None
    name: str = ""
    expected: object = None
    image: bytes = None

    def __post_init__(self):
        self.images = np.asarray(self.images, dtype=np.uint8).reshape(
            (-1,) + tuple(self.network.input_shape))
        if self.indices is None:
            self.indices = range(len(self.images))

    def where(self, j):
        return f"{self.name or self.network.name} image {self.indices[j]}"


@dataclass
class Inference:
    """One inference checked: ``ok`` when everything matched (``message`` names the first
    difference otherwise). ``cycles``: the CYCLES register (start to done); ``model_cycles``: the
    cycle model's (None when there is none or the timing is not the exact one); ``host_cycles``:
    the harness's cycles from the first register write to the last register access of the
    inference; ``bytes``: the BYTES register; ``work``: the golden model's work counters of the
    inference (``golden.event.Trace.counts``: events, synaptic operations, ...), None when the
    batch's ``expected`` has no trace."""
    index: int
    ok: bool
    message: str
    prediction: int = None
    label: int = None
    golden: int = None
    cycles: int = 0
    model_cycles: int = None
    host_cycles: int = 0
    bytes: int = 0
    events: list = None
    sim_s: float = 0.0
    cpu_s: float = 0.0
    hung: bool = False
    batch: object = None
    work: dict = None


@dataclass
class Golden:
    """What the golden model says of one inference: the scoreboard's ``Expected`` (events,
    scores, prediction), the order of every event map (neuron indices as the spike buffers hold
    them), the event count of every layer (EVENTS[0..L]) and the bytes read."""
    expected: Expected
    orders: list
    events: list
    bytes: int


def golden(network, pixels, capacity):
    """The golden model of one inference of ``network`` on a processor of ``capacity``."""
    tr = event.run(network, pixels)
    maps = event_maps(network.input_shape, layer_geometry(network))
    firing = [t.events for t, layer in zip(tr.layers, network.layers) if layer.fires]
    lists = [tr.input_events] + firing
    exp = Expected(maps=maps, events=expected_events(network, lists),
                   scores=[int(s) for s in tr.scores], prediction=tr.prediction,
                   phase_cycles=[], trace=tr, rate=network.coding == "rate")
    orders = [np.asarray(tr.input_events, dtype=np.int64).reshape(-1, 2)[:, 0]]
    orders += [buffer_order(ev, shape, capacity.cores)[:, 0] for ev, shape in
               zip(firing, maps[1:])]
    counts = [len(tr.input_events)] + [len(l.events) for l in tr.layers]
    return Golden(expected=exp, orders=orders, events=counts,
                  bytes=image_format.bytes_read(network, capacity))


class ProcHarness:
    """The harness of the processor of ``capacity`` (a ``golden.capacity.Capacity``), built on
    first use. ``trace``: the design has the trace stream (needed to check events)."""

    def __init__(self, capacity, *, trace=True, adder="carry", waves=False, opt=CXX_OPT,
                 build_root=None):
        from gen.processor import TOP, write_processor
        from rtl.layouts import score_layout, trace_layout
        from rtl.processor_config import ProcessorConfig
        self.capacity = capacity
        self.top = TOP
        self.waves = waves
        self.opt = opt
        self.trace_port = trace
        config = ProcessorConfig(capacity, trace=trace, adder=adder)
        root = Path(build_root or PROC_BUILD)
        with tempfile.TemporaryDirectory(prefix="proc-design-") as tmp:
            design = Path(tmp) / "design"
            t0 = time.monotonic()
            self.manifest = write_processor(capacity, design, trace=trace, adder=adder)
            self.generate_s = time.monotonic() - t0   # Verilog emission (every time)
            self.verilog = (design / f"{TOP}.v").read_text()
            self.build_s = 0.0
            self.build_dir = self._build(root, design)
        self.executable = self.build_dir / "proc_tb"
        ports = {p["name"]: p["width"] for p in self.manifest["ports"]}
        self._score_words = _words(ports["scores__payload"])
        self._trace_words = _words(ports["trace__payload"]) if trace else 0
        self.score_fields = codec(score_layout(config))
        self.trace_fields = codec(trace_layout(config)) if trace else None

    @property
    def verilog_sha256(self):
        return self.manifest["verilog_sha256"]

    # -- build ------------------------------------------------------------------------------

    def _flags(self):
        flags = ["--cc", "--exe", "--build", "-j", str(BUILD_JOBS), "--prefix", "Vdut",
                 "--top-module", self.top, "-O3", "--x-assign", "fast", "--x-initial", "fast",
                 "-Wno-fatal", "-Wno-lint", "-Wno-style",
                 "-MAKEFLAGS", f"OPT_FAST={self.opt}",
                 "-MAKEFLAGS", f"OPT_SLOW={'-O0' if self.opt == '-O0' else '-O1'}",
                 "-MAKEFLAGS", f"OPT_GLOBAL={self.opt}",
                 "-CFLAGS", f"-DBEAT_BYTES={self.capacity.data_bits // 8}"]
        if self.trace_port:
            flags += ["-CFLAGS", "-DTRACE_PORT"]
        if self.waves:
            flags += ["--trace-fst"]
        return flags

    def _build(self, root, design):
        bdir, self.build_s = build_executable(
            root, runner.sanitize(self.capacity.name), design=design, sources=HARNESS_SOURCES,
            top_file=f"{self.top}.v", flags=self._flags(), key_texts=[self.verilog],
            executable="proc_tb", what=f"the processor {self.capacity.name}")
        return bdir

    # -- run --------------------------------------------------------------------------------

    def check(self, batches, *, waves_file=None):
        """Run ``batches`` in one harness process (one memory with every network image and
        input, one reset, then the batches in order) and check each inference; yields an
        ``Inference`` per image, in order, then the ``RunTotals``."""
        batches = list(batches)
        layout = MemoryLayout(MEMORY_BASE)
        images = {}     # network image -> (its address, beats per inference)
        beat = self.capacity.data_bits // 8
        for b in batches:
            img = b.image or image_format.write_image(b.network, self.capacity)
            b.key = hashlib.sha256(img).digest()
            if b.key not in images:
                images[b.key] = (layout.place(img),
                                 image_format.bytes_read(b.network, self.capacity) // beat)
        runs = []
        for b in batches:
            base, beats = images[b.key]
            runs.append([(base, layout.place(x.tobytes()), len(b.network.layers))
                         for x in b.images])
        job = [_MAGIC, struct.pack("<3Q", _OP_MEMORY, layout.base, len(layout.data)),
               bytes(layout.data), b"\0" * (-len(layout.data) % 8),
               struct.pack("<3Q", _OP_RESET, 4, self.capacity.membrane_words + RESET_SETTLE)]
        for b, run in zip(batches, runs):
            t = b.timing
            limit = MIN_MAX_CYCLES + HANG_BEATS * images[b.key][1]
            job.append(struct.pack("<3Qdd2Q", _OP_RUN, len(run), t.latency, t.stall_prob,
                                   t.ready_prob, t.seed, limit))
            job.append(np.asarray(run, dtype="<u8").tobytes())
        job.append(struct.pack("<Q", _OP_END))
        records = self._run(b"".join(job), waves_file)
        reset = next(records)
        self._check_reset(reset)
        model = cycle_model()
        for b in batches:
            for j in range(len(b.images)):
                rec = next(records)
                if isinstance(rec, RunTotals):  # the job stopped at a failed inference
                    yield from self._not_run(batches, b, j)
                    yield rec
                    return
                yield self._check_one(b, j, rec, model)
        yield from records

    def _not_run(self, batches, stopped, j):
        after = False
        for b in batches:
            after = after or b is stopped
            if after:
                for jj in range(j if b is stopped else 0, len(b.images)):
                    yield Inference(index=int(b.indices[jj]), ok=False, batch=b,
                                    message=f"{b.where(jj)}: not run (an earlier inference "
                                            "failed and stopped the harness)")

    def _check_reset(self, rec):
        from rtl.axi_lite import capacity_words
        c = self.capacity
        want = capacity_words(cores=c.cores, T=c.T, F=c.F, max_layers=c.max_layers,
                              membrane_words=c.membrane_words, weight_words=c.weight_words,
                              spike_events=c.spike_events, data_bits=c.data_bits)
        got = (rec["id"], rec["capacity0"], rec["capacity1"])
        if got != (ID_VALUE, *want):
            raise Mismatch(f"registers after reset: ID, CAPACITY0, CAPACITY1 = "
                           f"{', '.join(hex(v) for v in got)}, expected "
                           f"{', '.join(hex(v) for v in (ID_VALUE, *want))}")

    def _check_one(self, b, j, rec, model):
        where = b.where(j)
        g = b.expected(j) if b.expected is not None else golden(b.network, b.images[j],
                                                                 self.capacity)
        out = Inference(index=int(b.indices[j]), ok=False, message="", batch=b,
                        label=None if b.labels is None else int(b.labels[j]),
                        golden=g.expected.prediction, cycles=rec["cycles"],
                        host_cycles=rec["end"] - rec["start"], bytes=rec["bytes"],
                        events=rec["events"], sim_s=rec["sim_ns"] / 1e9,
                        cpu_s=rec["cpu_ns"] / 1e9, hung=rec["status"] == 1,
                        prediction=rec["prediction"] if rec["status"] == 0 else None)
        trace = getattr(g.expected, "trace", None)
        out.work = None if trace is None else dict(trace.counts)
        if rec["status"]:
            out.message = (f"{where}: no irq within {rec['end'] - rec['start']} cycles"
                           if rec["status"] == 1 else
                           f"{where}: the memory model saw an AXI protocol error (see the "
                           "harness log)")
            return out
        if b.timing.exact and model is not None:
            out.model_cycles = model_cycles(model, b.network, g.expected.trace,
                                            self.capacity, b.timing.latency)
        try:
            self._compare(b, g, rec, out)
        except Mismatch as exc:
            out.message = f"{where}: {exc}"
        else:
            out.ok = True
        return out

    def _compare(self, b, g, rec, out):
        status, error = rec["status_reg"], rec["error"]
        if error or status & STATUS_ERROR:
            raise Mismatch(f"ERROR = {error} (STATUS {status:#x})")
        if status & (STATUS_DONE | STATUS_BUSY) != STATUS_DONE:
            raise Mismatch(f"STATUS after irq = {status:#x}: expected done and not busy")
        if rec["lite_errors"]:
            raise Mismatch(f"{rec['lite_errors']} register access(es) answered SLVERR")
        if rec["status_after"] & STATUS_DONE or rec["irq_after"]:
            raise Mismatch(f"STATUS.done or irq still set after writing 1 to STATUS.done "
                           f"(STATUS {rec['status_after']:#x}, irq {rec['irq_after']})")
        obs = rec["observation"]
        obs.prediction = rec["prediction"]
        stray = sorted({t[0] for t in obs.trace if t[0] >= len(g.expected.maps)})
        if stray:
            raise Mismatch(f"trace events of layer {stray[0]}, which writes no event map")
        check(g.expected, obs, cycles=False)
        for li, want in enumerate(g.orders):
            _C, H, W = g.expected.maps[li]
            seen = [(c * H + y) * W + x for (layer, c, y, x, _k, _cyc) in obs.trace
                    if layer == li]
            if seen != want.tolist():
                i = next(i for i, (s, w) in enumerate(zip(seen, want)) if s != w)
                raise Mismatch(f"layer {li}: event {i} written out of order: neuron {seen[i]},"
                               f" expected neuron {int(want[i])} (the fire scan's order)")
        if rec["events"] != g.events:
            raise Mismatch(f"EVENTS = {rec['events']}, expected {g.events}")
        beat = self.capacity.data_bits // 8
        if rec["bytes"] != g.bytes or rec["mem_beats"] * beat != g.bytes:
            raise Mismatch(f"BYTES = {rec['bytes']}, memory served {rec['mem_beats'] * beat}, "
                           f"expected {g.bytes} (golden.image.bytes_read)")
        if out.model_cycles is not None and out.model_cycles != rec["cycles"]:
            raise Mismatch(f"CYCLES = {rec['cycles']}, expected {out.model_cycles} "
                           "(golden.processor_cycles)")

    def _run(self, job, waves_file):
        """The records of a run: the reset's dict, a dict per inference, then RunTotals."""
        return run_executable(self.executable, job, self._records, waves_file=waves_file)

    def _records(self, stream, t0):
        def words(n):
            raw = stream.read(8 * n)
            if len(raw) != 8 * n:
                raise HarnessError("harness output ended early (did it crash?)")
            return np.frombuffer(raw, dtype="<u8")

        names = ("index", "status", "start", "irq", "end", "sim_ns", "cpu_ns", "status_reg",
                 "error", "prediction", "cycles", "bytes", "status_after", "irq_after",
                 "lite_errors", "mem_beats", "mem_bursts", "mem_most_outstanding", "n_events",
                 "n_scores", "n_trace")
        assert len(names) == _INFER_WORDS
        while True:
            op = int(words(1)[0])
            if op == _OP_END:
                cycles, sim_ns, cpu_ns = (int(v) for v in words(3))
                yield RunTotals(cycles=cycles, sim_s=sim_ns / 1e9, cpu_s=cpu_ns / 1e9,
                                wall_s=time.monotonic() - t0)
                return
            if op == _OP_RESET:
                _, _, ident, cap0, cap1 = (int(v) for v in words(5))
                yield {"id": ident, "capacity0": cap0, "capacity1": cap1}
            elif op == _OP_MEMORY:
                words(2)
            elif op == _OP_RUN:
                rec = dict(zip(names, (int(v) for v in words(_INFER_WORDS))))
                rec["events"] = [int(v) for v in words(rec["n_events"])]
                scores = words((1 + self._score_words) * rec["n_scores"]).reshape(
                    rec["n_scores"], 1 + self._score_words)
                trace = words((1 + self._trace_words) * rec["n_trace"]).reshape(
                    rec["n_trace"], 1 + self._trace_words)
                obs = Observation()
                for row in scores:
                    s = self.score_fields.decode(_join(row[1:]))
                    obs.scores.append((s["cls"], s["score"], int(row[0])))
                obs.trace = self._decode_trace(trace)
                obs.cycles = rec["cycles"]
                rec["observation"] = obs
                yield rec
            else:
                raise HarnessError(f"unknown record {op} in the harness output")

    def _decode_trace(self, trace):
        """(layer, c, y, x, k, cycle) of every event."""
        if not len(trace):
            return []
        if self._trace_words != 1:
            return [(*(self.trace_fields.decode(_join(r[1:]))[n]
                       for n in ("layer", "c", "y", "x", "k")), int(r[0])) for r in trace]
        raw = trace[:, 1]
        cols = {name: ((raw >> np.uint64(off)) & np.uint64(f.mask)).tolist()
                for name, (off, f) in self.trace_fields.fields.items()}
        return list(zip(cols["layer"], cols["c"], cols["y"], cols["x"], cols["k"],
                        trace[:, 0].tolist()))


def model_cycles(model, network, trace, capacity, latency):
    """CYCLES of one inference (its golden ``event.Trace``) by the processor's cycle model
    (``golden.processor_cycles``, the schedule behind the core's memory port) with the AXI
    memory's ``latency``: ``AxiBurstReader`` raises ``arvalid`` the cycle after it takes a
    request and passes the R beats through unbuffered (``rtl.axi``), so the port's latency is
    ``latency + READER_DELAY``. (Exact while a long request's bursts keep the beats back to
    back: the latency below the beats of ``max_bursts - 1`` bursts, as the default's is.)"""
    return int(model.inference_cycles(network, capacity, trace,
                                      latency=latency + READER_DELAY).done)


class MemoryLayout:
    """One contiguous memory from ``base``: blocks placed one after the other, each at a
    multiple of ``golden.image.ALIGN`` (the widest beat)."""

    def __init__(self, base):
        self.base = base
        self.data = bytearray()

    def place(self, blob):
        """Append ``blob``; its address."""
        self.data += b"\0" * (-len(self.data) % image_format.ALIGN)
        at = self.base + len(self.data)
        self.data += blob
        return at


def _words(width):
    return max(1, math.ceil(width / 64))
