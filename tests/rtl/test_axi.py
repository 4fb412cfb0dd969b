# amaranth: UnusedElaboratable=no
"""The AXI4 read master (``rtl.axi.AxiBurstReader``) and the unpacker (``rtl.unpack``) under
Amaranth's simulator: the bodies of ``verif.benches.axi`` (against its Python AXI memory:
random latency and back-pressure, SLVERR) and ``verif.benches.unpack``, which cocotb also runs
against cocotbext-axi's AxiRamRead (``verif/test_cocotb.py``). Also the burst plan itself, the
bus port names and the parameter checks.

(The first line is Amaranth's linter option: the parameter tests build components that raise
before they are elaborated.)
"""

import re

import pytest

from gen.verilog import emit, top_ports
from rtl.axi import AxiBurstReader, AxiReadSignature
from rtl.unpack import BeatUnpacker
from verif.benches import BENCHES
from verif.benches.axi import burst_plan
from verif.benches.unpack import unpack_reference
from verif.simio import run_amaranth

READER = BENCHES["axi_burst_reader"]
UNPACKER = BENCHES["beat_unpacker"]


@pytest.mark.parametrize("seed,options", [
    (1, {"data_bits": 64, "max_bursts": 4, "max_burst_beats": 16}),
    (2, {"data_bits": 32, "max_bursts": 2, "max_burst_beats": 256}),
    (3, {"data_bits": 128, "max_bursts": 1, "max_burst_beats": 1}),
    (4, {"data_bits": 512, "max_bursts": 8, "max_burst_beats": 64, "addr_bits": 64}),
])
def test_reader_random_timing(seed, options):
    comp, params = READER.build(seed, requests=10, max_length=2500, **options)
    stats = run_amaranth(comp, READER.body, params)
    assert stats["requests"] == 10 and stats["errors"] >= 1
    assert stats["most_in_flight"] == options["max_bursts"]  # the memory would take more


def test_burst_plan_cuts_at_4k_and_at_the_burst_limit():
    assert burst_plan(0x0FF8, 24, beat_bytes=8, max_burst_beats=16) == [(0x0FF8, 1), (0x1000, 2)]
    assert burst_plan(0x2000, 8 * 40, beat_bytes=8, max_burst_beats=16) == [
        (0x2000, 16), (0x2080, 16), (0x2100, 8)]
    assert burst_plan(0x1F00, 0, beat_bytes=64, max_burst_beats=4) == [(0x1F00, 1)]
    # 512-bit beats, 256-beat bursts: 4 KB is 64 beats, the boundary decides
    assert burst_plan(0x0FC0, 64 * 130, beat_bytes=64, max_burst_beats=256) == [
        (0x0FC0, 1), (0x1000, 64), (0x2000, 64), (0x3000, 1)]


@pytest.mark.parametrize("data_bits,unit_bits", [
    (64, 40), (32, 512), (128, 8), (64, 64), (32, 24), (64, 13), (8, 8), (256, 72), (64, 512),
    (512, 64)])
def test_unpacker_widths(data_bits, unit_bits):
    comp, params = UNPACKER.build(7, data_bits=data_bits, unit_bits=unit_bits)
    stats = run_amaranth(comp, UNPACKER.body, params)
    assert stats["units"] == sum(len(unpack_reference(x, unit_bits))
                                 for x in params["payloads"])


def test_unpack_reference():
    # 3 bytes into 16-bit units: two units, the second zero-padded
    assert unpack_reference(bytes([0x11, 0x22, 0x33]), 16) == [(0x2211, False), (0x33, True)]
    assert unpack_reference(bytes(range(1, 6)), 40) == [(0x0504030201, True)]


def test_bus_port_names():
    """The names cocotbext-axi's AxiReadBus.from_prefix(dut, "m_axi") looks up."""
    reader = AxiBurstReader(addr_bits=40, data_bits=128, id_bits=2)
    ports = {p["name"]: (p["direction"], p["width"]) for p in top_ports(reader)}
    want = {"arid": ("output", 2), "araddr": ("output", 40), "arlen": ("output", 8),
            "arsize": ("output", 3), "arburst": ("output", 2), "arvalid": ("output", 1),
            "arready": ("input", 1), "rid": ("input", 2), "rdata": ("input", 128),
            "rresp": ("input", 2), "rlast": ("input", 1), "rvalid": ("input", 1),
            "rready": ("output", 1)}
    for name, spec in want.items():
        assert ports[f"m_axi_{name}"] == spec
    text = emit(reader, "reader")
    assert re.search(r"output \[39:0\] m_axi_araddr;", text)


def test_signature_equality():
    assert AxiReadSignature(addr_bits=32, data_bits=64) == AxiReadSignature(addr_bits=32,
                                                                            data_bits=64)
    assert AxiReadSignature(addr_bits=32, data_bits=64) != AxiReadSignature(addr_bits=32,
                                                                            data_bits=32)


@pytest.mark.parametrize("make,message", [
    (lambda: AxiBurstReader(data_bits=48), "data_bits must be a power of two in 8..1024, not 48"),
    (lambda: AxiBurstReader(data_bits=2048), "data_bits must be an integer in 8..1024"),
    (lambda: AxiBurstReader(addr_bits=8), "addr_bits must be an integer in 12..64"),
    (lambda: AxiBurstReader(max_burst_beats=0), "max_burst_beats must be an integer in 1..256"),
    (lambda: AxiBurstReader(max_burst_beats=257), "max_burst_beats must be an integer in 1..256"),
    (lambda: AxiBurstReader(max_bursts=0), "max_bursts must be an integer in 1..64"),
    (lambda: AxiBurstReader(id_bits=0), "id_bits must be an integer in 1..32"),
    (lambda: AxiBurstReader(length_bits=True), "length_bits must be an integer in 1..64"),
    (lambda: BeatUnpacker(data_bits=12, unit_bits=8), "data_bits must be a multiple of 8"),
    (lambda: BeatUnpacker(data_bits=64, unit_bits=0), "unit_bits must be an integer in 1..4096"),
])
def test_parameters_refused(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
