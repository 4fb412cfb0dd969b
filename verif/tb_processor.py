"""cocotb testbench of the processor (``rtl.processor.Processor``, emitted Verilog): the network
image and the input pixels in cocotbext-axi's ``AxiRamRead`` (random pauses on AR and R, random
extra latency before a burst's data), the registers through cocotbext-axi's ``AxiLiteMaster``
(random pauses on every channel). For each image: write INPUT_BASE (IMAGE_BASE once), start
with the interrupt enabled, wait for ``irq``, read STATUS, ERROR, PREDICTION, CYCLES, BYTES
and EVENTS[0..L], clear STATUS.done; compare the trace, the scores, the prediction, the bytes
read and the per-layer event counts with the golden model (``verif.scoreboard``,
``golden.image.bytes_read``).

The case (``VERIF_CASE``, from ``verif.cases``): the capacity preset, the network file, the
images, the bases, the memory's pause probabilities.
"""

import random
import time

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from golden import event
from golden import image as image_format
from golden.capacity import preset
from golden.network import load as load_network
from rtl.axi_lite import EVENTS_BASE, REGISTERS
from rtl.config import HardwareConfig
from verif.benches.axi import pauses
from verif.scoreboard import Mismatch, Observation, check, expect
from verif.tbutil import load_case, reset, start_clock, write_stats

__all__ = ["processor"]


async def _collect(dut, obs, cycle):
    """Record every trace event and score (ready tied high) with its cycle."""
    dut.scores__ready.value = 1
    dut.trace__ready.value = 1
    codec_trace, codec_score = obs["trace_codec"], obs["score_codec"]
    while True:
        await RisingEdge(dut.clk)
        cycle[0] += 1
        if int(dut.trace__valid.value):
            t = codec_trace.decode(int(dut.trace__payload.value))
            obs["now"].trace.append((t["layer"], t["c"], t["y"], t["x"], t["k"], cycle[0]))
        if int(dut.scores__valid.value):
            s = codec_score.decode(int(dut.scores__payload.value))
            obs["now"].scores.append((s["cls"], s["score"], cycle[0]))


@cocotb.test()
async def processor(dut):
    from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiRamRead, AxiReadBus

    from rtl.layouts import score_layout, trace_layout
    from rtl.processor_config import ProcessorConfig
    from verif.simio import codec

    case = load_case()
    t0 = time.monotonic()
    seed = int(case["seed"])
    gen = random.Random(seed)
    capacity = preset(case["preset"])
    net = load_network(case["net"])
    config = ProcessorConfig(capacity)
    img = image_format.write_image(net, capacity)
    image_base, input_base = case["image_base"], case["input_base"]

    class TimedRam(AxiRamRead):
        """Random extra latency before a burst's data (the pause generators stall AR and R)."""
        async def _read(self, address, length):
            if gen.random() < case["latency_prob"]:
                await ClockCycles(self.clock, gen.randint(1, 12))
            return await super()._read(address, length)

    ram = TimedRam(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst,
                   size=case["memory_bytes"])
    for channel in (ram.ar_channel, ram.r_channel):
        channel.set_pause_generator(pauses(gen.random(), case["pause_prob"], 6))
    ram.write(image_base, img)
    regs = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    for channel in (regs.write_if.aw_channel, regs.write_if.w_channel, regs.write_if.b_channel,
                    regs.read_if.ar_channel, regs.read_if.r_channel):
        channel.set_pause_generator(pauses(gen.random(), 0.3, 3))

    await start_clock(dut)
    await reset(dut)
    cycle = [0]
    obs = {"trace_codec": codec(trace_layout(config)),
           "score_codec": codec(score_layout(config)), "now": None}
    cocotb.start_soon(_collect(dut, obs, cycle))

    async def read(name, offset=0):
        return int.from_bytes((await regs.read(REGISTERS[name] + offset, 4)).data, "little")

    async def write(name, value):
        await regs.write(REGISTERS[name], int(value).to_bytes(4, "little"))

    await write("IMAGE_BASE", image_base)
    stats = {"seed": seed, "images": 0, "cycles": 0, "inference_cycles": [], "bytes": [],
             "failures": []}
    fixed = HardwareConfig(net, cores=capacity.cores)  # the scoreboard's event maps
    for i, pixels in enumerate(np.asarray(case["images"], dtype=np.uint8)):
        pixels = pixels.reshape(net.input_shape)
        ram.write(input_base, pixels.tobytes())
        await write("INPUT_BASE", input_base)
        obs["now"] = now = Observation()
        await write("CONTROL", 0b11)  # start, irq_enable
        waited = 0
        while not int(dut.irq.value):
            await RisingEdge(dut.clk)
            waited += 1
            if waited > case["max_cycles"]:
                raise Mismatch(f"image {i}: no interrupt after {waited} cycles")
        status, error = await read("STATUS"), await read("ERROR")
        now.prediction = await read("PREDICTION")
        cycles = await read("CYCLES") | await read("CYCLES_HI") << 32
        nbytes = await read("BYTES") | await read("BYTES_HI") << 32
        events = [int.from_bytes((await regs.read(EVENTS_BASE + 4 * layer, 4)).data, "little")
                  for layer in range(len(net.layers) + 1)]
        await regs.write(REGISTERS["STATUS"], (2).to_bytes(4, "little"))  # W1C done
        if int(dut.irq.value):
            raise Mismatch(f"image {i}: irq still high after STATUS.done was cleared")
        try:
            if (status & 0b111, error) != (0b010, 0):
                raise Mismatch(f"image {i}: STATUS {status:#x} ERROR {error} after the "
                               "interrupt (expected done, no error)")
            check(expect(fixed, pixels), now, cycles=False)
            want = image_format.bytes_read(net, capacity)
            if nbytes != want:
                raise Mismatch(f"image {i}: BYTES {nbytes}, golden {want}")
            tr = event.run(net, pixels)
            want = [len(tr.input_events)] + [len(l.events) for l in tr.layers]
            if events != want:
                raise Mismatch(f"image {i}: EVENTS {events}, golden {want}")
        except Mismatch as exc:
            stats["failures"].append(str(exc))
            stats["error"] = str(exc)
            break
        stats["images"] += 1
        stats["inference_cycles"].append(cycles)
        stats["bytes"].append(nbytes)
    stats["cycles"] = cycle[0]
    stats["wall_s"] = time.monotonic() - t0
    write_stats(case, **stats)
    if stats["failures"]:
        raise Mismatch(stats["failures"][0])
