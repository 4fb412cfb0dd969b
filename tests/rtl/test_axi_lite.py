# amaranth: UnusedElaboratable=no
"""The AXI4-Lite register block (``rtl.axi_lite.ProcessorRegisters``) under Amaranth's
simulator: the body of ``verif.benches.axi_lite`` with its Python AXI4-Lite master (random
handshake timing, junk on unwritten byte lanes), which cocotb also runs with cocotbext-axi's
AxiLiteMaster (``verif/test_cocotb.py``). Also the register map constants against
docs/PROCESSOR.md section 5, the port names and the parameter checks.

(The first line is Amaranth's linter option: the parameter tests build components that raise
before they are elaborated.)
"""

import re
from pathlib import Path

import pytest

from gen.verilog import top_ports
from rtl.axi_lite import EVENTS_BASE, ID_VALUE, REGISTERS, ProcessorRegisters, capacity_words
from verif.benches import BENCHES
from verif.simio import run_amaranth

BENCH = BENCHES["processor_registers"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "PROCESSOR.md"
CAPACITY = dict(cores=8, T=8, F=21, max_layers=8, membrane_words=4096, weight_words=3000,
                spike_events=8192, data_bits=64)


@pytest.mark.parametrize("seed,options", [(1, {}), (2, {"addr_bits": 32}),
                                          (3, {"addr_bits": 40, "max_layers": 1}),
                                          (4, {"max_layers": 20, "ops": 150})])
def test_registers_random_operations(seed, options):
    comp, params = BENCH.build(seed, **options)
    stats = run_amaranth(comp, BENCH.body, params)
    assert stats["reads"] >= 20 and stats["writes"] >= 20


def test_register_map_is_the_documented_one():
    """Every offset and name of the table in docs/PROCESSOR.md section 5."""
    text = DOC.read_text()
    section = text[text.index("## 5. Registers"):text.index("## 6.")]
    rows = re.findall(r"^\| (0x[0-9A-F]+)(?:, (0x[0-9A-F]+)| \+ 4\*l)? \| `(\w+)", section,
                      re.M)
    documented = {}
    for low, high, name in rows:
        documented[name] = int(low, 16)
        if high:
            documented[name + "_HI"] = int(high, 16)
    assert documented.pop("EVENTS") == EVENTS_BASE
    assert documented == REGISTERS
    assert f"0x{ID_VALUE:08X}" in section and ID_VALUE.to_bytes(4, "big") == b"SNNP"


def test_capacity_words():
    # P 8, T 8, F 21, 8 layers; log2 4096 = 12, ceil(log2 3000) = 12, log2 8192 = 13, 8 bytes
    assert capacity_words(**CAPACITY) == (0x08150808, 0x080D0C0C)


def test_port_names():
    """The names cocotbext-axi's AxiLiteBus.from_prefix(dut, "s_axil") looks up."""
    ports = {p["name"]: p["direction"] for p in top_ports(ProcessorRegisters(**CAPACITY))}
    for name in ("awaddr", "awvalid", "wdata", "wstrb", "wvalid", "bready", "araddr",
                 "arvalid", "rready"):
        assert ports[f"s_axil_{name}"] == "input"
    for name in ("awready", "wready", "bresp", "bvalid", "arready", "rdata", "rresp", "rvalid"):
        assert ports[f"s_axil_{name}"] == "output"


@pytest.mark.parametrize("change,message", [
    ({"cores": 256}, "cores must be an integer in 0..255, not 256"),
    ({"T": -1}, "T must be an integer in 0..255, not -1"),
    ({"max_layers": 0}, "max_layers must be an integer in 1..255, not 0"),
    ({"membrane_words": 0}, "membrane_words must be an integer >= 1, not 0"),
    ({"data_bits": 4096}, "data_bits/8 must be an integer in 0..255, not 512"),
    ({"addr_bits": 16}, "addr_bits must be an integer in 32..64, not 16"),
])
def test_parameters_refused(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ProcessorRegisters(**(CAPACITY | change))
