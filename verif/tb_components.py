"""cocotb side of the component benches (``verif/benches.py``), each on its component's own
emitted Verilog.

One cocotb test per entry of ``verif.cases.COMPONENT_TESTS``; each rebuilds the component and
its stimulus from the case's seed and options (``benches.<bench>.build``, deterministic), wraps
the DUT in ``verif.simio.CocotbIO`` and runs the very body that ``tests/rtl`` runs under
Amaranth's simulator. The case (``VERIF_CASE``) carries the seed, the bench and its options.
"""

import cocotb
from cocotb.simtime import get_sim_time

from verif.benches import BENCHES
from verif.simio import CocotbIO
from verif.tbutil import load_case, reset, start_clock, write_stats


async def _run(dut):
    case = load_case()
    bench = BENCHES[case["bench"]]
    component, params = bench.build(case["seed"], **case.get("opts", {}))
    io = CocotbIO(component, dut, clocked=bench.clocked)
    for name in io.inputs():  # defined inputs through reset (Icarus starts them at X)
        io.set(name, 0)
    if bench.clocked:
        await start_clock(dut)
        await reset(dut)
    error = None
    stats = {}
    try:
        stats = await bench.body(io, params) or {}
    except AssertionError as exc:
        error = str(exc)
    stats.update(cycles=io.cycle, sim_time_ns=get_sim_time("ns"))
    if error:
        stats["error"] = error
    write_stats(case, **stats)
    assert error is None, error


@cocotb.test()
async def weight_decoder(dut):
    await _run(dut)


@cocotb.test()
async def fire_unit(dut):
    await _run(dut)


@cocotb.test()
async def neuron_core(dut):
    await _run(dut)


@cocotb.test()
async def neuron_core_prefix(dut):
    """The neuron core bench on a core built with the standard-cell membrane adder."""
    await _run(dut)


@cocotb.test()
async def spike_router(dut):
    await _run(dut)


@cocotb.test()
async def spike_buffer(dut):
    await _run(dut)


@cocotb.test()
async def input_encoder(dut):
    await _run(dut)


@cocotb.test()
async def spike_emitter(dut):
    await _run(dut)


@cocotb.test()
async def earliest_spike_pool(dut):
    await _run(dut)


@cocotb.test()
async def param_memory(dut):
    await _run(dut)


@cocotb.test()
async def layer_sequencer(dut):
    await _run(dut)


@cocotb.test()
async def axi_burst_reader(dut):
    await _run(dut)


@cocotb.test()
async def beat_unpacker(dut):
    await _run(dut)


@cocotb.test()
async def beat_unpacker_wide(dut):
    await _run(dut)


@cocotb.test()
async def beat_unpacker_narrow(dut):
    await _run(dut)


@cocotb.test()
async def processor_registers(dut):
    await _run(dut)
