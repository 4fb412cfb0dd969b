"""The bench of ``rtl.axi_lite`` (see ``verif.benches``).

The bus master: under cocotb, cocotbext-axi's ``AxiLiteMaster`` (random pauses on all five
channels); under Amaranth's simulator, ``AxiLiteDriver`` below (random valid delays and random
``bready`` / ``rready``). Either way the body runs one write and one read at a time (a write
and a read may overlap), stepping the clock itself so that it can drive the processor's side
(``busy``, ``finished``, the EVENTS read port, ...) and count ``start`` pulses every cycle.
"""

import random

from ..scoreboard import Mismatch
from .axi import pauses
from .common import Bench, _rng

__all__ = ["BENCH", "AxiLiteDriver"]


def build_processor_registers(seed, *, addr_bits=64, max_layers=6, ops=90):
    from rtl.axi_lite import ProcessorRegisters
    rng = _rng(seed, 14)
    cap = {"cores": int(rng.integers(1, 33)), "T": int(rng.integers(1, 256)),
           "F": int(rng.integers(0, 256)), "max_layers": max_layers,
           "membrane_words": int(rng.integers(1, 1 << 20)),
           "weight_words": int(rng.integers(1, 1 << 20)),
           "spike_events": int(rng.integers(1, 1 << 20)),
           "data_bits": int(rng.choice([32, 64, 128, 256, 512]))}
    comp = ProcessorRegisters(addr_bits=addr_bits, **cap)
    return comp, {"seed": seed, "addr_bits": addr_bits, "capacity": cap, "ops": ops}


def _capacity_words(cap):
    """The CAPACITY words as docs/PROCESSOR.md section 5 lays them out (written out here, not
    taken from ``rtl.axi_lite``, so that the test checks the RTL against the document)."""
    def log2(n):
        return (n - 1).bit_length()
    return (cap["cores"] | cap["T"] << 8 | cap["F"] << 16 | cap["max_layers"] << 24,
            log2(cap["membrane_words"]) | log2(cap["weight_words"]) << 8
            | log2(cap["spike_events"]) << 16 | (cap["data_bits"] // 8) << 24)


class AxiLiteDriver:
    """An AXI4-Lite master stepped by the body: ``start(op)`` queues ``("write", addr, bytes)``
    (the bytes at ``addr``'s byte offset within its word, strobes as cocotbext-axi sets them,
    random junk on the other byte lanes) or ``("read", addr)``; one write and one read can be
    in progress."""

    def __init__(self, rng):
        self.rng = rng
        self.write = self.read = None   # [op, state..., result]
        self.results = {}

    def start(self, op):
        key = object()
        if op[0] == "write":
            addr, payload = op[1], op[2]
            offset = addr % 4
            data = int.from_bytes(payload, "little") << (8 * offset)
            strb = ((1 << len(payload)) - 1) << offset
            lanes = sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)
            data |= int(self.rng.integers(0, 1 << 32)) & ~lanes  # junk in the unwritten bytes
            self.write = {"key": key, "addr": addr, "data": data, "strb": strb,
                          "aw_at": int(self.rng.integers(0, 3)),
                          "w_at": int(self.rng.integers(0, 3)), "aw": False, "w": False}
        else:
            self.read = {"key": key, "addr": op[1], "ar_at": int(self.rng.integers(0, 3)),
                         "ar": False}
        return key

    def done(self, key):
        return key in self.results

    def result(self, key):
        return self.results.pop(key)

    def drive(self, io):
        w, r = self.write, self.read
        aw_valid = bool(w) and not w["aw"] and w["aw_at"] <= 0
        w_valid = bool(w) and not w["w"] and w["w_at"] <= 0
        io.set("s_axil.awvalid", int(aw_valid))
        io.set("s_axil.awaddr", w["addr"] if aw_valid else 0)
        io.set("s_axil.awprot", 0)
        io.set("s_axil.wvalid", int(w_valid))
        io.set("s_axil.wdata", w["data"] if w_valid else 0)
        io.set("s_axil.wstrb", w["strb"] if w_valid else 0)
        self.bready = bool(w) and self.rng.random() < 0.7
        io.set("s_axil.bready", int(self.bready))
        ar_valid = bool(r) and not r["ar"] and r["ar_at"] <= 0
        io.set("s_axil.arvalid", int(ar_valid))
        io.set("s_axil.araddr", r["addr"] if ar_valid else 0)
        io.set("s_axil.arprot", 0)
        self.rready = bool(r) and self.rng.random() < 0.7
        io.set("s_axil.rready", int(self.rready))

    async def observe(self, io):
        w, r = self.write, self.read
        if w:
            for ch in ("aw", "w"):
                if not w[ch] and w[f"{ch}_at"] <= 0 and await io.get(f"s_axil.{ch}ready"):
                    w[ch] = True
                w[f"{ch}_at"] -= 1
            if self.bready and await io.get("s_axil.bvalid"):
                if not (w["aw"] and w["w"]):
                    raise Mismatch(f"axi_lite: B before AW and W were both taken at cycle "
                                   f"{io.cycle}")
                self.results[w["key"]] = await io.get("s_axil.bresp")
                self.write = None
        if r:
            if not r["ar"] and r["ar_at"] <= 0 and await io.get("s_axil.arready"):
                r["ar"] = True
            r["ar_at"] -= 1
            if self.rready and await io.get("s_axil.rvalid"):
                if not r["ar"]:
                    raise Mismatch(f"axi_lite: R before AR was taken at cycle {io.cycle}")
                self.results[r["key"]] = (await io.get("s_axil.rdata"),
                                          await io.get("s_axil.rresp"))
                self.read = None


class _CocotbLite:
    """cocotbext-axi's ``AxiLiteMaster`` on the ``s_axil_*`` ports, random pauses on every
    channel; the same ``start`` / ``done`` / ``result`` as ``AxiLiteDriver``."""

    def __init__(self, dut, seed):
        import cocotb
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        self._cocotb = cocotb
        self.master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        gen = random.Random(seed)
        w, r = self.master.write_if, self.master.read_if
        for channel in (w.aw_channel, w.w_channel, w.b_channel, r.ar_channel, r.r_channel):
            channel.set_pause_generator(pauses(gen.random(), gen.uniform(0.1, 0.5), 4))

    def start(self, op):
        if op[0] == "write":
            return self._cocotb.start_soon(self.master.write(op[1], op[2]))
        return self._cocotb.start_soon(self.master.read(op[1], 4))

    def done(self, task):
        return task.done()

    def result(self, task):
        res = task.result()
        if hasattr(res, "data"):
            return int.from_bytes(res.data, "little"), int(res.resp)
        return int(res.resp)

    def drive(self, io):
        pass

    async def observe(self, io):
        pass


class _Bench:
    """The processor's side of the register block and the model of its registers."""

    def __init__(self, io, p, rng):
        self.io, self.p, self.rng = io, p, rng
        cap = p["capacity"]
        dut = getattr(io, "dut", None)
        self.bus = (_CocotbLite(dut, int(rng.integers(1 << 31))) if dut is not None
                    else AxiLiteDriver(rng))
        self.addr_mask = (1 << p["addr_bits"]) - 1
        self.layers = cap["max_layers"] + 1
        self.cap_words = _capacity_words(cap)
        self.inputs = {"busy": 0, "error_code": 0, "prediction": 0, "cycles": 0,
                       "bytes_read": 0}
        self.events = [0] * self.layers
        self.finish_pulse = False
        self.events_index = 0
        # the model of the registers
        self.image_base = self.input_base = 0
        self.irq_enable = self.done = 0
        self.starts = self.starts_seen = 0

    def drive(self):
        io = self.io
        for name, v in self.inputs.items():
            io.set(name, v)
        io.set("finished", int(self.finish_pulse))
        i = self.events_index
        io.set("events_count", self.events[i] if i < self.layers else 0xDEAD)
        self.bus.drive(io)

    async def observe(self):
        io = self.io
        self.starts_seen += await io.get("start")
        self.events_index = await io.get("events_index")
        await self.bus.observe(io)

    async def cycle(self, check=None):
        self.drive()
        await self.observe()
        if check is not None:
            await check()
        if self.finish_pulse:
            self.finish_pulse = False
            self.done = 1
        await self.io.tick()

    async def run(self, *ops):
        """Run operations to completion (a write and a read may go together); their results."""
        keys = [self.bus.start(op) for op in ops]
        for _ in range(400):
            if all(self.bus.done(k) for k in keys):
                return [self.bus.result(k) for k in keys]
            await self.cycle()
        raise Mismatch(f"axi_lite: {ops} did not complete in 400 cycles (at cycle "
                       f"{self.io.cycle})")

    def value(self, offset):
        """The model's read (data, resp) of a byte offset."""
        R = _registers()
        word = offset & ~3
        hi = self.p["addr_bits"] > 32
        values = {
            R["ID"]: 0x534E4E50, R["CAPACITY0"]: self.cap_words[0],
            R["CAPACITY1"]: self.cap_words[1], R["CONTROL"]: self.irq_enable << 1,
            R["STATUS"]: (self.inputs["busy"] | self.done << 1
                          | int(self.inputs["error_code"] != 0) << 2),
            R["ERROR"]: self.inputs["error_code"], R["PREDICTION"]: self.inputs["prediction"],
            R["IMAGE_BASE"]: self.image_base & 0xFFFFFFFF,
            R["IMAGE_BASE_HI"]: self.image_base >> 32 if hi else 0,
            R["INPUT_BASE"]: self.input_base & 0xFFFFFFFF,
            R["INPUT_BASE_HI"]: self.input_base >> 32 if hi else 0,
            R["CYCLES"]: self.inputs["cycles"] & 0xFFFFFFFF,
            R["CYCLES_HI"]: self.inputs["cycles"] >> 32,
            R["BYTES"]: self.inputs["bytes_read"] & 0xFFFFFFFF,
            R["BYTES_HI"]: self.inputs["bytes_read"] >> 32,
        }
        for layer in range(self.layers):
            values[0x100 + 4 * layer] = self.events[layer]
        if word in values:
            return values[word], 0
        return 0, 2

    def write_model(self, offset, payload):
        """Apply a write to the model; the expected BRESP."""
        R = _registers()
        word = offset & ~3
        shift = 8 * (offset % 4)
        data = int.from_bytes(payload, "little") << shift
        mask = ((1 << (8 * len(payload))) - 1) << shift
        for name in ("IMAGE_BASE", "INPUT_BASE"):
            for half in (0, 1):
                if word == R[name] + 4 * half:
                    attr = name.lower()
                    old = getattr(self, attr)
                    new = (old & ~(mask << 32 * half)) | (data << 32 * half)
                    setattr(self, attr, new & self.addr_mask)
                    return 0
        if word == R["CONTROL"]:
            if mask & 0xFF:
                self.starts += data & 1
                self.irq_enable = (data >> 1) & 1
            return 0
        if word == R["STATUS"]:
            if mask & 0xFF and data & 2:
                self.done = 0
            return 0
        return self.value(offset)[1]  # read-only registers: OKAY, ignored; others SLVERR

    async def check_outputs(self, what):
        io = self.io

        async def check():
            want = {"image_base": self.image_base, "input_base": self.input_base,
                    "irq_enable": self.irq_enable, "irq": self.done & self.irq_enable,
                    "starts": self.starts}
            seen = {k: await io.get(k) for k in list(want)[:4]}
            seen["starts"] = self.starts_seen
            if seen != want:
                raise Mismatch(f"processor_registers after {what}: expected {want}, observed "
                               f"{seen} at cycle {io.cycle}")

        await self.cycle()  # (a finished pulse, or the cycle after B)
        await self.cycle(check)

    def random_payload(self):
        """(byte offset within the word, bytes) of a random write: a word, a half or a byte."""
        size = int(self.rng.choice([4, 2, 1]))
        offset = int(self.rng.integers(0, 4 // size)) * size
        return offset, bytes(self.rng.integers(0, 256, size, dtype=int).tolist())


def _registers():
    from rtl.axi_lite import REGISTERS
    return REGISTERS


async def processor_registers(io, p):
    """Reset state; every register read; then random operations: masked writes of the base
    registers, CONTROL (start pulses, irq_enable), STATUS W1C after ``finished`` pulses, writes
    of read-only registers (OKAY, ignored), reads and writes of unmapped offsets (SLVERR),
    new values on the processor's inputs and EVENTS; a write and a read at once now and then.
    Every response against the model, the outputs (bases, ``irq``, ``irq_enable``, the count
    of ``start`` pulses) after every operation."""
    rng = _rng(p["seed"], 140)
    b = _Bench(io, p, rng)
    R = _registers()
    for _ in range(3):
        await b.cycle()
    await b.check_outputs("reset")
    mapped = sorted(set(R.values()) | {0x100 + 4 * i for i in range(b.layers)})
    unmapped = [0x0C, 0x40, 0x44, 0xFC, 0x100 + 4 * b.layers, 0x200, 0xFFC]
    reads = writes = 0

    async def read(offset):
        nonlocal reads
        (got,) = await b.run(("read", offset))
        want = b.value(offset)
        if got != want:
            raise Mismatch(f"processor_registers: read {offset:#05x}: expected (data, resp) "
                           f"({want[0]:#x}, {want[1]}), observed ({got[0]:#x}, {got[1]}) at "
                           f"cycle {io.cycle}")
        reads += 1

    async def write(offset, byte, payload, read_too=None):
        nonlocal writes
        ops = [("write", offset + byte, payload)]
        if read_too is not None:
            ops.append(("read", read_too))
        want_read = b.value(read_too) if read_too is not None else None
        results = await b.run(*ops)
        want = b.write_model(offset + byte, payload)
        if results[0] != want:
            raise Mismatch(f"processor_registers: write {offset + byte:#05x} "
                           f"{payload.hex()}: expected BRESP {want}, observed {results[0]} at "
                           f"cycle {io.cycle}")
        if read_too is not None and results[1] != want_read:
            raise Mismatch(f"processor_registers: read {read_too:#05x} beside a write: "
                           f"expected {want_read}, observed {results[1]}")
        writes += 1
        await b.check_outputs(f"write {offset + byte:#05x} {payload.hex()}")

    for offset in mapped + unmapped:
        await read(offset)
    for _ in range(p["ops"]):
        kind = rng.random()
        if kind < 0.25:
            offset = int(rng.choice([R["IMAGE_BASE"], R["IMAGE_BASE_HI"], R["INPUT_BASE"],
                                     R["INPUT_BASE_HI"]]))
            byte, payload = b.random_payload()
            # a read beside it, of a register the write does not touch
            other = int(rng.choice(mapped)) if rng.random() < 0.4 else None
            await write(offset, byte, payload, other if other != offset else None)
        elif kind < 0.35:
            byte, payload = b.random_payload()  # start and irq_enable only through byte 0
            await write(R["CONTROL"], byte, payload)
        elif kind < 0.45:
            if rng.random() < 0.5:  # irq_enable on or off, no start
                await write(R["CONTROL"], 0, bytes([int(rng.integers(0, 2)) << 1, 0, 0, 0]))
            if rng.random() < 0.6:
                b.finish_pulse = True
                await b.check_outputs("finished")
            byte, payload = b.random_payload()  # W1C of done only through byte 0
            await write(R["STATUS"], byte, payload)
        elif kind < 0.55:
            offset = int(rng.choice(mapped + unmapped))
            if offset in (R["CONTROL"], R["STATUS"]) or offset in (
                    R["IMAGE_BASE"], R["IMAGE_BASE_HI"], R["INPUT_BASE"], R["INPUT_BASE_HI"]):
                offset = R["ID"]
            byte, payload = b.random_payload()
            await write(offset, byte, payload)
        elif kind < 0.7:
            b.inputs = {"busy": int(rng.integers(0, 2)), "error_code": int(rng.integers(0, 256)
                        if rng.random() < 0.3 else rng.integers(0, 5)),
                        "prediction": int(rng.integers(0, 1 << 16)),
                        "cycles": int(rng.integers(0, 1 << 63)),
                        "bytes_read": int(rng.integers(0, 1 << 63))}
            b.events = [int(rng.integers(0, 1 << 32)) for _ in range(b.layers)]
            await b.cycle()
        else:
            await read(int(rng.choice(mapped + unmapped)))
    if reads < 20 or writes < 20 or b.starts < 2:
        raise Mismatch(f"processor_registers: too little exercised ({reads} reads, {writes} "
                       f"writes, {b.starts} starts)")
    return {"reads": reads, "writes": writes, "starts": b.starts}


BENCH = Bench("processor_registers", build_processor_registers, processor_registers)
