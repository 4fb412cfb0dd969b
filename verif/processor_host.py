"""A host and a memory for the processor's core (``rtl.processor_core.ProcessorCore``): the
body of a ``verif.simio`` testbench, so it runs under Amaranth's simulator and cocotb alike.

The memory model serves the core's abstract memory port (the inner side of the AXI read
master): it takes a request ``{addr, length}`` whenever ``requests.ready`` is drawn high and
answers each, in order, with the ``ceil(length / beat)`` beats from the aligned address,
``last`` on the final one. ``gap`` is the probability that a cycle offers no beat (random
memory timing); ``latency`` the cycles from a request's transfer to its first beat when the
memory is otherwise idle.
"""

import collections
from dataclasses import dataclass, field

import numpy as np

from .scoreboard import Mismatch, Observation

__all__ = ["Memory", "ProcessorRun", "run_processor"]


class Memory:
    """A byte-addressed memory of ``regions`` ({base: bytes}); reads past them are zero."""

    def __init__(self, regions, *, beat_bytes):
        self.beat = beat_bytes
        self.regions = {int(b): bytes(v) for b, v in regions.items()}

    def read(self, addr, length):
        out = bytearray(length)
        for base, blob in self.regions.items():
            lo, hi = max(addr, base), min(addr + length, base + len(blob))
            if lo < hi:
                out[lo - addr:hi - addr] = blob[lo - base:hi - base]
        return bytes(out)

    def beats(self, addr, length):
        """The beats of a read: (data as int, bytes of the request in it, last)."""
        if addr % self.beat:
            raise Mismatch(f"read request at {addr:#x}: not aligned to the {self.beat}-byte beat")
        if length <= 0:
            raise Mismatch(f"read request at {addr:#x}: length {length}")
        n = -(-length // self.beat)
        blob = self.read(addr, n * self.beat)
        return [(int.from_bytes(blob[i * self.beat:(i + 1) * self.beat], "little"),
                 min(self.beat, length - i * self.beat), i == n - 1) for i in range(n)]


@dataclass
class ProcessorRun:
    """What one inference showed: the trace and scores (an ``Observation``), the requests
    (addr, length) in issue order, the status registers at ``done``."""
    observation: Observation
    requests: list = field(default_factory=list)
    request_cycles: list = field(default_factory=list)  # when each request was taken
    error: int = 0
    cycles: int = 0
    bytes: int = 0
    layers: int = 0
    events: list = field(default_factory=list)
    done_cycle: int = 0  # the cycle ``done`` was 1


async def run_processor(io, memory, *, image_base, input_base, rng, gap=0.0, latency=1,
                        ready_prob=1.0, max_cycles=10**7, fail_request=None, restart_at=None):
    """One inference: ``start`` with the bases, serve the memory until ``done``; then read the
    per-layer event counters. Cycles (of requests, trace events, scores and the datapath's
    phase changes, ``observation.phases``) count from the ``start`` pulse's cycle, 0.
    ``ready_prob`` < 1 draws the trace's and scores' ready.
    ``fail_request`` (an index into the requests): that read answers with an error
    (``read_error`` from its first beat until the next request is taken, as the AXI master's
    sticky flag). ``restart_at``: a second ``start`` pulse that many cycles after the first."""
    obs = Observation()
    run = ProcessorRun(observation=obs)
    beats = collections.deque()   # (data, bytes, last, cycle it may go, request index)
    io.set("image_base", image_base)
    io.set("input_base", input_base)
    io.set("start", 1)
    io.set("requests.ready", 1)
    io.set("data.valid", 0)
    io.set("read_error", 0)
    has_trace = "trace.valid" in io._ports
    start = io.cycle
    first = True
    failing = None  # the request that answers with an error (its index)
    while True:
        if io.cycle - start > max_cycles:
            raise Mismatch(f"processor: no done after {max_cycles} cycles")
        offer = bool(beats) and beats[0][3] <= io.cycle and rng.random() >= gap
        if offer and beats[0][4] == fail_request:
            failing = fail_request
        io.set("read_error", int(failing is not None))
        io.set("data.valid", int(offer))
        if offer:
            data, size, last = beats[0][:3]
            io.set("data.payload", {"data": data, "bytes": size, "last": int(last)})
        ready = rng.random() < ready_prob
        io.set("scores.ready", int(ready))
        if has_trace:
            io.set("trace.ready", int(ready))
        if not first:
            io.set("start", int(restart_at is not None and io.cycle - start == restart_at))
        first = False
        phase = await io.get("phase")
        if not obs.phases or obs.phases[-1][1] != phase:
            obs.phases.append((io.cycle - start, phase, 0))
        if await io.get("requests.valid"):
            r = await io.get("requests.payload")
            run.requests.append((r["addr"], r["length"]))
            run.request_cycles.append(io.cycle - start)
            if failing is not None:
                failing = None  # the flag is sticky until the next request is taken
            at = io.cycle + latency
            for beat in memory.beats(r["addr"], r["length"]):
                beats.append((*beat, at, len(run.requests) - 1))
        if offer and await io.get("data.ready"):
            beats.popleft()
        if has_trace and ready and await io.get("trace.valid"):
            t = await io.get("trace.payload")
            obs.trace.append((t["layer"], t["c"], t["y"], t["x"], t["k"], io.cycle - start))
        if ready and await io.get("scores.valid"):
            s = await io.get("scores.payload")
            obs.scores.append((s["cls"], s["score"], io.cycle - start))
        done = await io.get("done")
        await io.tick()
        if done:
            run.done_cycle = io.cycle - 1 - start
            break
    if beats:
        raise Mismatch(f"processor: done with {len(beats)} beats of its reads not taken")
    io.set("data.valid", 0)
    io.set("read_error", 0)
    io.set("events_addr", 0)
    await io.tick()
    layer = 0
    while True:  # the status holds after done; the event counters are read one per cycle
        io.set("events_addr", layer + 1)  # (the read port shows the last edge's address)
        if layer == 0:
            run.error = await io.get("error")
            obs.prediction = await io.get("prediction")
            run.cycles = obs.cycles = await io.get("cycles")
            run.bytes = await io.get("bytes")
            run.layers = await io.get("layers")
        run.events.append(await io.get("events_data"))
        await io.tick()
        if layer == run.layers:
            return run
        layer += 1


def image_memory(image_bytes, pixels, *, image_base, input_base, beat_bytes):
    """The memory of one inference: the network image and the input pixels."""
    return Memory({image_base: image_bytes,
                   input_base: np.asarray(pixels, dtype=np.uint8).tobytes()},
                  beat_bytes=beat_bytes)
