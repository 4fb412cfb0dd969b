"""The bench of ``rtl.axi`` (see ``verif.benches``).

The memory behind the reader: under cocotb, cocotbext-axi's ``AxiRamRead`` (random ``arready``
and ``rvalid`` pauses from its pause generators, random extra latency before beats, SLVERR on a
"poisoned" window); under Amaranth's simulator, ``AxiReadMemory`` below, a small model with the
same behaviour (random ``arready``, a random latency per burst, random ``rvalid`` gaps, up to
four bursts accepted ahead). The body checks the bus and the data streams against the same
expectations either way.
"""

import random

from ..scoreboard import Mismatch
from .common import Bench, _rng

__all__ = ["BENCH", "burst_plan", "AxiReadMemory", "pauses"]

#: a burst must not cross a multiple of this many bytes (AXI4)
BOUNDARY = 4096


def burst_plan(addr, length, *, beat_bytes, max_burst_beats):
    """The bursts ``[(address, beats)]`` of one request, as ``rtl.axi.AxiBurstReader``
    documents them: the request's ``ceil(length / beat_bytes)`` beats (at least one) from the
    beat-aligned address, cut greedily into bursts of at most ``max_burst_beats`` that end at
    or before the next 4 KB boundary."""
    beats = max(1, -(-length // beat_bytes))
    addr -= addr % beat_bytes
    plan = []
    while beats:
        n = min(beats, max_burst_beats, (BOUNDARY - addr % BOUNDARY) // beat_bytes)
        plan.append((addr, n))
        addr += n * beat_bytes
        beats -= n
    return plan


def build_axi_burst_reader(seed, *, data_bits=64, addr_bits=32, max_burst_beats=16,
                           max_bursts=4, requests=24, max_length=5000, memory_bytes=1 << 15):
    """A random memory of ``memory_bytes`` at a high base address, with a 256-byte window that
    answers SLVERR; random requests of 1..``max_length`` bytes, a third of them straddling a
    4 KB boundary, a few of one beat or less (0 bytes included: read as one full beat), one in
    six touching the window."""
    from rtl.axi import AxiBurstReader
    rng = _rng(seed, 13)
    bb = data_bits // 8
    base = 1 << (addr_bits - 2)  # exercises the high address bits (the memory is mirrored)
    memory = bytes(rng.integers(0, 256, memory_bytes, dtype=int).tolist())
    poison = (int(rng.integers(0, memory_bytes // 256)) * 256,)
    poison = (poison[0], poison[0] + 256)
    reqs = []
    while len(reqs) < requests:
        bad = len(reqs) % 6 == 5
        kind = rng.random()
        length = int(rng.integers(0, bb + 1) if kind < 0.15 else rng.integers(1, max_length + 1))
        span = -(-length // bb) * bb
        if bad:
            addr = int(rng.integers(max(0, poison[0] - span + bb), poison[1])) // bb * bb
        elif kind > 0.66:  # straddle a 4 KB boundary
            edge = BOUNDARY * int(rng.integers(1, memory_bytes // BOUNDARY))
            addr = (edge - int(rng.integers(1, min(span, BOUNDARY) + 1))) // bb * bb
        else:
            addr = int(rng.integers(0, memory_bytes - span + 1)) // bb * bb
        end = addr + span
        if addr < 0 or end > memory_bytes or bad != (addr < poison[1] and end > poison[0]):
            continue
        reqs.append((base + addr, length, bad))
    comp = AxiBurstReader(addr_bits=addr_bits, data_bits=data_bits,
                          max_burst_beats=max_burst_beats, max_bursts=max_bursts)
    return comp, {"seed": seed, "data_bits": data_bits, "max_burst_beats": max_burst_beats,
                  "max_bursts": max_bursts, "memory": memory, "base": base, "poison": poison,
                  "requests": reqs}


def _beat_of(p, addr):
    """(data, poisoned) of the beat at byte address ``addr`` (beat-aligned)."""
    bb = p["data_bits"] // 8
    off = (addr - p["base"]) % len(p["memory"])
    if p["poison"][0] <= off < p["poison"][1]:
        return 0, True
    return int.from_bytes(p["memory"][off:off + bb], "little"), False


class AxiReadMemory:
    """A small AXI4 read memory for Amaranth's simulator: accepts up to ``depth`` bursts ahead
    (``arready`` random), returns each burst's beats after a random latency with random
    ``rvalid`` gaps (``rvalid`` held until taken), data and SLVERR from ``_beat_of``."""

    def __init__(self, p, rng, *, depth=4):
        self.p, self.rng, self.depth = p, rng, depth
        self.ar_ready_prob = float(rng.uniform(0.3, 1.0))
        self.r_valid_prob = float(rng.uniform(0.3, 1.0))
        self.latency = (1, int(rng.integers(2, 12)))
        self.bursts = []        # [addr, beats left, earliest cycle]
        self.arready = self.rvalid = False

    def drive(self, io):
        self.arready = len(self.bursts) < self.depth and self.rng.random() < self.ar_ready_prob
        io.set("m_axi.arready", int(self.arready))
        if not self.rvalid and self.bursts and self.bursts[0][2] <= io.cycle:
            self.rvalid = self.rng.random() < self.r_valid_prob
        data, bad, last = 0, False, False
        if self.rvalid:
            addr, left, _ = self.bursts[0]
            data, bad = _beat_of(self.p, addr)
            last = left == 1
        io.set("m_axi.rvalid", int(self.rvalid))
        io.set("m_axi.rdata", data)
        io.set("m_axi.rresp", 2 if bad else 0)
        io.set("m_axi.rlast", int(last))
        io.set("m_axi.rid", 0)

    def observe(self, ar, r_taken, cycle):
        """``ar``: the (address, beats) taken this cycle or None; ``r_taken``: a beat left."""
        if r_taken:
            burst = self.bursts[0]
            burst[0] += self.p["data_bits"] // 8
            burst[1] -= 1
            if burst[1] == 0:
                self.bursts.pop(0)
            self.rvalid = False
        if ar is not None:
            self.bursts.append([ar[0], ar[1], cycle + int(self.rng.integers(*self.latency))])


async def _start_axi_ram(dut, p, seed):
    """cocotbext-axi's ``AxiRamRead`` on the DUT's ``m_axi_*`` ports, with random pauses on AR
    and R, random extra latency before beats and SLVERR inside the poisoned window."""
    from cocotb.triggers import ClockCycles
    from cocotbext.axi import AxiRamRead, AxiReadBus

    gen = random.Random(seed)
    poison = p["poison"]

    class TimedRam(AxiRamRead):
        async def _read(self, address, length):
            if gen.random() < 0.15:
                await ClockCycles(self.clock, gen.randint(1, 8))
            if poison[0] <= address % self.size < poison[1]:
                raise ValueError(f"poisoned address {address:#x}")  # the model answers SLVERR
            return await super()._read(address, length)

    ram = TimedRam(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst,
                   size=len(p["memory"]))
    ram.write(0, p["memory"])
    for channel, busy in ((ram.ar_channel, gen.uniform(0.1, 0.6)),
                          (ram.r_channel, gen.uniform(0.1, 0.6))):
        channel.set_pause_generator(pauses(gen.random(), busy, 6))
    return ram


def pauses(seed, busy, longest):
    """A cocotbext-axi pause generator: per cycle, with probability ``busy`` a stall of
    1..``longest`` cycles, then one cycle that may transfer."""
    gen = random.Random(seed)
    while True:
        if gen.random() < busy:
            for _ in range(gen.randint(1, longest)):
                yield True
        yield False


async def axi_burst_reader(io, p):
    """Random requests (random gaps), random ``data.ready``, random ``clear`` pulses. Every
    cycle: ``idle``, ``error``, ``beats`` and ``beat`` against a model of the handshakes seen;
    every AR against ``burst_plan`` (so never across 4 KB, never longer than
    ``max_burst_beats``), at most ``max_bursts`` outstanding and at least two seen at once;
    every data beat (data, ``bytes``, ``last``) against the memory, in request order."""
    rng = _rng(p["seed"], 130)
    bb, max_bursts = p["data_bits"] // 8, p["max_bursts"]
    dut = getattr(io, "dut", None)
    if dut is not None:
        ram = await _start_axi_ram(dut, p, int(rng.integers(1 << 31)))
        memory = None
    else:
        ram = None
        memory = AxiReadMemory(p, rng, depth=max_bursts + 2)  # more than the reader may ask
    ready_prob = float(rng.uniform(0.3, 0.9))
    plans = [burst_plan(a, n, beat_bytes=bb, max_burst_beats=p["max_burst_beats"])
             for a, n, _ in p["requests"]]
    beats_of = [sum(n for _, n in plan) for plan in plans]
    total = sum(beats_of)

    sent = 0                  # requests taken
    offered = False
    issue = []                # bursts of taken requests not yet on AR, in order
    outstanding = []          # [beats left] of bursts on AR whose last beat is not taken
    got = 0                   # beats taken
    cur_req, cur_beat = 0, 0
    error = False
    beats = 0
    most = 0
    limit = 60 * total + 2000
    while got < total:
        # -- drive this cycle's inputs
        if not offered:
            offered = sent < len(p["requests"]) and rng.random() < 0.8
        addr, length, _ = p["requests"][sent] if offered else (0, 0, False)
        io.set("requests.valid", int(offered))
        io.set("requests.payload", {"addr": addr, "length": length})
        ready = rng.random() < ready_prob
        io.set("data.ready", int(ready))
        clear = rng.random() < 0.02
        io.set("clear", int(clear))
        if memory is not None:
            memory.drive(io)
        # -- the registered outputs, from the handshakes of earlier cycles
        want = {"idle": int(not issue and not outstanding), "error": int(error),
                "beats": beats & 0xFFFFFFFF}
        seen = {k: await io.get(k) for k in want}
        if seen != want:
            raise Mismatch(f"axi_burst_reader: at cycle {io.cycle} expected {want}, observed "
                           f"{seen} ({len(issue)} bursts to issue, {len(outstanding)} "
                           "outstanding)")
        # -- this cycle's handshakes
        if offered and await io.get("requests.ready"):
            issue += plans[sent]
            sent += 1
            offered = False
        ar = None
        if await io.get("m_axi.arvalid") and await io.get("m_axi.arready"):
            ar = (await io.get("m_axi.araddr"), await io.get("m_axi.arlen") + 1)
            fields = (await io.get("m_axi.arsize"), await io.get("m_axi.arburst"),
                      await io.get("m_axi.arid"))
            if not issue or ar != issue[0] or fields != (bb.bit_length() - 1, 1, 0):
                raise Mismatch(f"axi_burst_reader: AR (addr {ar[0]:#x}, {ar[1]} beats, size/"
                               f"burst/id {fields}) at cycle {io.cycle}, expected "
                               f"{_plan_text(issue[:1])} size {bb.bit_length() - 1} INCR id 0")
        rvalid = await io.get("m_axi.rvalid")
        taken = bool(rvalid and await io.get("m_axi.rready"))
        bad_taken = False
        if await io.get("data.valid") != rvalid or await io.get("beat") != int(taken):
            raise Mismatch(f"axi_burst_reader: data.valid / beat differ from the R handshake "
                           f"at cycle {io.cycle}")
        if taken != (rvalid and ready):
            raise Mismatch(f"axi_burst_reader: rready != data.ready at cycle {io.cycle}")
        if taken:
            if not outstanding:
                raise Mismatch(f"axi_burst_reader: an R beat with no burst outstanding at "
                               f"cycle {io.cycle}")
            beat = await io.get("data.payload")
            rlast = await io.get("m_axi.rlast")
            a, n, _ = p["requests"][cur_req]
            data, bad = _beat_of(p, a - a % bb + cur_beat * bb)
            final = cur_beat == beats_of[cur_req] - 1
            nbytes = (n - cur_beat * bb if final else bb) or bb  # 0 bytes: one full beat
            if (beat["data"], beat["bytes"], beat["last"]) != (data, nbytes, final):
                raise Mismatch(
                    f"axi_burst_reader: request {cur_req} ({a:#x}, {n} bytes) beat {cur_beat}: "
                    f"expected data {data:#x} bytes {nbytes} last {int(final)}, "
                    f"observed {beat['data']:#x} bytes {beat['bytes']} last {beat['last']} at "
                    f"cycle {io.cycle}")
            outstanding[0] -= 1
            if bool(rlast) != (outstanding[0] == 0):
                raise Mismatch(f"axi_burst_reader: rlast {rlast} with {outstanding[0]} beats "
                               f"of the burst left at cycle {io.cycle}")
            if outstanding[0] == 0:
                outstanding.pop(0)
            bad_taken = bad
            got += 1
            cur_beat += 1
            if final:
                cur_req, cur_beat = cur_req + 1, 0
        if memory is not None:
            memory.observe(ar, taken, io.cycle)
        if ar is not None:
            issue.pop(0)
            outstanding.append(ar[1])
            most = max(most, len(outstanding))
            if len(outstanding) > max_bursts:
                raise Mismatch(f"axi_burst_reader: {len(outstanding)} bursts outstanding "
                               f"(max_bursts {max_bursts}) at cycle {io.cycle}")
        error = (error and not clear) or bad_taken
        beats = (0 if clear else beats) + int(taken)
        await io.tick()
        if io.cycle > limit:
            raise Mismatch(f"axi_burst_reader: timeout at cycle {io.cycle}: {got} of {total} "
                           f"beats, {sent} of {len(p['requests'])} requests taken")
    io.set("requests.valid", 0)
    if memory is not None:
        memory.drive(io)
    if (await io.get("idle"), await io.get("m_axi.arvalid")) != (1, 0):
        raise Mismatch("axi_burst_reader: not idle after the last beat")
    if most < min(2, max_bursts):
        raise Mismatch(f"axi_burst_reader: never more than {most} burst in flight "
                       f"(max_bursts {max_bursts})")
    del ram
    return {"requests": sent, "beats": got, "bursts": sum(map(len, plans)),
            "most_in_flight": most, "errors": sum(bad for *_, bad in p["requests"])}


def _plan_text(bursts):
    return ", ".join(f"({a:#x}, {n} beats)" for a, n in bursts) or "no burst"


BENCH = Bench("axi_burst_reader", build_axi_burst_reader, axi_burst_reader)
