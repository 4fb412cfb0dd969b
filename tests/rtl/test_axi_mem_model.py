"""The C++ AXI4 read memory model of the fast Verilator harness (``verif/harness/axi_mem.h``)
on the reader alone: ``verif/harness/axi_tb.cpp`` drives ``AxiBurstReader``'s emitted Verilog
against it and checks every beat. With the fixed-latency timing (no stalls, ``data.ready``
high) the cycle of each request's last beat must equal a cycle-by-cycle model of the reader's
documented timing (``rtl.axi.AxiBurstReader``: a request taken when nothing is issuing, its
first AR the cycle after, one AR per cycle below ``max_bursts`` outstanding; the memory's first
beat ``latency`` cycles after the AR, then one per cycle); with random stalls and back-pressure,
data and the error flag stay exact.
"""

import hashlib
import struct
import subprocess
from collections import deque

import numpy as np
import pytest

from rtl.axi import AxiBurstReader
from verif import runner
from verif.benches.axi import burst_plan

pytestmark = pytest.mark.sim

HARNESS = runner.ROOT / "verif" / "harness"
BEAT_BYTES, ADDR_BITS, MAX_BURSTS, MAX_BURST_BEATS = 8, 32, 2, 16
BASE = 1 << (ADDR_BITS - 2)


def reader_timing(requests, *, latency):
    """The cycle of each request's last beat, for a memory that never stalls and a consumer
    that is always ready (cycle 0: the first after reset)."""
    todo = deque()        # (request, burst beats, ends its request) of the request issuing
    memory = deque()      # [first beat cycle, beats left, request or None]
    pending = deque(enumerate(requests))
    ends = [None] * len(requests)
    active, level, cycle = False, 0, 0
    while None in ends:
        accept = not active and pending
        ar = active and level < MAX_BURSTS
        burst_done = False
        if memory and memory[0][0] <= cycle:
            memory[0][1] -= 1
            if memory[0][1] == 0:
                if memory[0][2] is not None:
                    ends[memory[0][2]] = cycle
                memory.popleft()
                burst_done = True
        if ar:
            req, beats, last = todo.popleft()
            memory.append([cycle + latency, beats, req if last else None])
            active = bool(todo)
        if accept:
            req, (addr, length) = pending.popleft()
            plan = burst_plan(addr, length, beat_bytes=BEAT_BYTES,
                              max_burst_beats=MAX_BURST_BEATS)
            todo.extend((req, n, i == len(plan) - 1) for i, (_, n) in enumerate(plan))
            active = True
        level += int(ar) - int(burst_done)
        cycle += 1
    return ends


@pytest.fixture(scope="module")
def axi_tb():
    why = runner.sim_available("verilator")
    if why:
        pytest.skip(why)
    text = runner.emit_component(
        AxiBurstReader(addr_bits=ADDR_BITS, data_bits=8 * BEAT_BYTES, max_bursts=MAX_BURSTS,
                       max_burst_beats=MAX_BURST_BEATS), "axi_burst_reader")
    sources = [(HARNESS / n).read_text() for n in ("axi_tb.cpp", "axi_mem.h")]
    key = hashlib.sha256("\0".join([text, *sources]).encode()).hexdigest()[:12]
    work = runner.BUILD / f"axi_tb-{key}"
    exe = work / "axi_tb"
    if not exe.exists():
        runner.write_if_changed(work / "axi_burst_reader.v", text)
        cmd = ["verilator", "--cc", "--exe", "--build", "-j", "2", "--prefix", "Vdut",
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "axi_burst_reader",
               "-CFLAGS", f"-O1 -I{HARNESS}", "--Mdir", "obj", "-o", "../axi_tb",
               "axi_burst_reader.v", str(HARNESS / "axi_tb.cpp")]
        out = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return work


def _requests(seed, n):
    rng = np.random.default_rng(seed)
    reqs = []
    for _ in range(n):
        length = int(rng.integers(0, 3000))
        addr = int(rng.integers(0, (1 << 15) - 3072)) // BEAT_BYTES * BEAT_BYTES
        reqs.append((BASE + addr, length))
    reqs.append((BASE + 4096 - 24, 40))  # straddles 4 KB
    return reqs


def _run(work, reqs, *, latency, stall=0.0, ready=1.0, seed=1, poison=(0, 0)):
    memory = np.random.default_rng(seed).integers(0, 256, 1 << 15, dtype=np.uint8)
    (work / "memory.bin").write_bytes(memory.tobytes())
    (work / "requests.bin").write_bytes(b"".join(struct.pack("<QQ", a, n) for a, n in reqs))
    out = subprocess.run([str(work / "axi_tb"), "memory.bin", "requests.bin", str(BEAT_BYTES),
                          str(ADDR_BITS), str(latency), str(stall), str(ready), str(seed),
                          str(poison[0]), str(poison[1])],
                         cwd=work, capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert out.returncode == 0, "\n".join(lines[-3:]) + out.stderr
    ends = [int(line.split()[2]) for line in lines if line.startswith("REQ ")]
    end = next(line.split()[1:] for line in lines if line.startswith("END "))
    return ends, [int(v) for v in end]


@pytest.mark.parametrize("latency", [1, 6, 40])
def test_fixed_latency_cycles_exact(axi_tb, latency):
    reqs = _requests(latency, 12)
    ends, (cycles, beats, bursts, slverr, most, error) = _run(axi_tb, reqs, latency=latency)
    assert ends == reader_timing(reqs, latency=latency)
    assert beats == sum(max(1, -(-n // BEAT_BYTES)) for _, n in reqs)
    assert slverr == 0 and error == 0 and most == MAX_BURSTS


def test_random_stalls_and_errors(axi_tb):
    reqs = _requests(9, 16)
    poison = (reqs[3][0] // BEAT_BYTES * BEAT_BYTES, 64)
    ends, (cycles, beats, bursts, slverr, most, error) = _run(
        axi_tb, reqs, latency=3, stall=0.3, ready=0.6, seed=5, poison=poison)
    assert len(ends) == len(reqs) and slverr >= 1 and error == 1
