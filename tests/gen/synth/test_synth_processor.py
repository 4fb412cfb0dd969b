"""The processor as a synthesis design source (``gen.synth.processor``), the pin wrapper, the
memory list and the processor-against-fixed comparison of the report (no synthesis run: the
flows themselves are tested on the tiny network by the other files here)."""

import json

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from gen import synth
from gen.synth.memory_macros import memory_instances, memory_shapes
from gen.synth.pins import PinWrapper
from gen.synth.processor import FIXED_NETWORK, ProcessorDesign, processor_class
from gen.synth.report import REPORT_FORMAT, comparison_rows
from gen.verilog import emit
from golden.capacity import PRESETS, preset


class _Adder(wiring.Component):
    a: In(3)
    b: In(2)
    total: Out(4)
    flag: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.total.eq(self.a + self.b), self.flag.eq(self.a[0])]
        return m


def test_pin_wrapper_feeds_every_input_and_observes_every_output():
    """Inputs are the stages of one shift register from ``si`` (first bit in ends up in the
    last input bit); ``so`` is the XOR of all output bits, two cycles after they change."""
    dut = PinWrapper(_Adder())
    assert (dut.input_bits, dut.output_bits) == (5, 5)
    inner = dut._inner
    seen = []

    async def bench(ctx):
        # shift in a = 0b101, b = 0b11: Cat(a, b) = 0b11101, the last bit shifted in is bit 0
        for bit in reversed([1, 0, 1, 1, 1]):
            ctx.set(dut.si, bit)
            await ctx.tick()
        seen.append((ctx.get(inner.a), ctx.get(inner.b), ctx.get(inner.total)))
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.so))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    total = 0b101 + 0b11
    assert seen[0] == (0b101, 0b11, total)
    assert seen[1] == (bin(total).count("1") + 1) % 2   # flag = a[0] = 1


def test_pin_wrapper_rejects_a_non_component():
    with pytest.raises(TypeError, match="wiring.Component"):
        PinWrapper(object())


def test_processor_core_design_source_elaborates():
    """The ice40-digits core emits as module ``snn_accel`` (bare) and behind the pin wrapper
    as ``snn_board`` with two pins besides the clock and reset."""
    src = ProcessorDesign(preset("ice40-digits"), design="core", adder="carry")
    comp, name = src.bare()
    assert name == "snn_accel" and "ice40-digits" in src.bare_description
    assert "module snn_accel(" in emit(comp, name)
    top, description, pins = src.fpga(12, 115200)
    top._MustUse__silence = top._inner._MustUse__silence = True   # not elaborated here
    assert "processor core" in description
    assert pins["flip_flops"] == pins["input_bits"] + pins["output_bits"] + 1
    assert pins["input_bits"] > 64 and pins["output_bits"] > 128   # addresses, counters
    assert src.memory_bits(16) is None


def test_processor_design_errors():
    with pytest.raises(synth.SynthError, match="design must be one of"):
        processor_class("board")
    assert set(FIXED_NETWORK) == set(PRESETS)


def test_cli_preset_errors(capsys, tmp_path):
    out = tmp_path / "out"
    assert synth.main(["--target", "ecp5", "--preset", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no capacity preset named 'nope'" in err[0]
    assert not out.exists()
    with pytest.raises(SystemExit) as exc:
        synth.main(["--sweep", "--preset", "ecp5-mnist"])
    assert exc.value.code == 2


def _mem(width, size, abits, memid):
    return {"type": "$mem_v2", "parameters": {
        "WIDTH": format(width, "032b"), "SIZE": format(size, "032b"),
        "ABITS": format(abits, "032b"), "RD_PORTS": format(1, "032b"),
        "WR_PORTS": format(1, "032b"), "MEMID": memid}}


def test_memory_list_names_every_memory_with_its_macro():
    coarse = {"modules": {
        "\\snn_accel.core0": {"cells": {"$m0": _mem(34, 2048, 11, "\\membrane"),
                                        "$m1": _mem(5, 4096, 12, "\\weights"),
                                        "$x": {"type": "$add", "parameters": {}}}},
        "\\snn_accel.core1": {"cells": {"$m0": _mem(34, 2048, 11, "\\membrane")}},
        "\\snn_accel": {"cells": {}}}}
    shapes = memory_shapes(coarse)
    mems = memory_instances(coarse, shapes)
    assert [m["memory"] for m in mems] == ["snn_accel.core0.membrane",
                                           "snn_accel.core1.membrane", "snn_accel.core0.weights"]
    assert mems[0] == {"memory": "snn_accel.core0.membrane", "width": 34, "depth": 2048,
                       "bits": 69632, "read_ports": 1, "write_ports": 1,
                       "macro": "snn_sram_34x2048_a11_1r1w"}
    assert mems[2]["macro"] == "snn_sram_5x4096_a12_1r1w" and mems[2]["bits"] == 20480
    assert "macro" not in memory_instances(coarse)[0]


def _ecp5(comb, fmax, pins=None):
    return {"report_format": REPORT_FORMAT, "target": "ecp5", "device": "25k", "cores": 8,
            "luts": comb // 2, "flip_flops": 100, "brams": 10, "dsps": 0, "fmax_mhz": fmax,
            "clock_target_mhz": 100, "capacity": {"brams": 56, "dsps": 28},
            "placed": {"TRELLIS_COMB": {"used": comb, "available": 24288},
                       "TRELLIS_FF": {"used": 100, "available": 24288},
                       "slices": {"used": comb // 2 + 1, "available": 12144,
                                  "lower_bound": comb // 2}},
            "seconds": 1.0, **({"pin_wrapper": pins} if pins else {})}


def test_comparison_section_pairs_the_processor_with_its_fixed_design(tmp_path):
    pins = {"input_bits": 10, "output_bits": 20, "flip_flops": 31}
    proc = {**_ecp5(3000, 90.0, pins), "network": "processor ecp5-mnist",
            "compare_key": "mnist/p8/ecp5+pins", "processor_capacity": {"cores": 8},
            "design": "snn_board (pin wrapper + processor core, ecp5-mnist)"}
    fixed = {**_ecp5(2000, 100.0, pins), "network": "mnist",
             "design": "snn_board (pin wrapper + accelerator)"}
    rows = {r[0]: r[1:] for r in comparison_rows(proc, fixed)}
    assert rows["TRELLIS_COMB placed"] == (3000, 2000, "1.50")
    assert rows["Fmax MHz (nextpnr)"] == (90.0, 100.0, "0.90")
    assert rows["of which pin-wrapper flip-flops"] == (31, 31, "1.00")
    synth.write_report(str(tmp_path), {"processor-ecp5-mnist/core/ecp5": proc,
                                       "mnist/p8/ecp5+pins": fixed})
    md = (tmp_path / "report.md").read_text()
    assert ("## processor-ecp5-mnist/core/ecp5 against mnist/p8/ecp5+pins (fixed-network mnist, "
            "P = 8)") in md
    assert "| TRELLIS_COMB placed | 3,000 | 2,000 | 1.50 |" in md
    assert "adds 31 flip-flops (10 input and 20 output port bits, one pin)" in md
    assert set(json.loads((tmp_path / "report.json").read_text())) == {
        "processor-ecp5-mnist/core/ecp5", "mnist/p8/ecp5+pins"}


def test_sky130_comparison_and_memory_list(tmp_path):
    def sky(kge, slack, bits):
        return {"report_format": REPORT_FORMAT, "target": "sky130", "cores": 8,
                "logic_kge": kge, "logic_um2": kge * 3753.6, "memories": 2,
                "memory_bits": bits, "memory_um2_est": bits * 17.37, "period_ns": 5.0,
                "seconds": 1.0,
                "sta": {"wire_models": {"ideal": {"worst_slack_ns": slack,
                                                  "achieved_mhz": round(1e3 / (5 - slack), 1)}},
                        "note": "n"}}
    proc = {**sky(50.0, -0.25, 300), "network": "processor ecp5-mnist", "processor_capacity": {},
            "compare_key": "mnist/p8/sky130",
            "memory_list": [{"memory": "snn_accel.spike_buffer0.events", "width": 20,
                             "depth": 10, "bits": 200, "read_ports": 1, "write_ports": 1,
                             "macro": "snn_sram_20x10_a4_1r1w"}]}
    fixed = {**sky(40.0, 0.5, 200), "network": "mnist"}
    rows = {r[0]: r[1:] for r in comparison_rows(proc, fixed)}
    assert rows["logic kGE"] == (50.0, 40.0, "1.25")
    assert rows["slack ns @ 5.0 ns, no wire"] == (-0.25, 0.5, "-")
    assert rows["Fmax MHz, no wire"] == (190.5, 222.2, "0.86")
    from gen.synth.report import _comparison_markdown, memory_list_markdown
    md = "\n".join(_comparison_markdown({"p": proc, "mnist/p8/sky130": fixed}))
    assert "| slack ns @ 5.0 ns, no wire | -0.250 | +0.500 | - |" in md
    ml = "\n".join(memory_list_markdown("p", proc["memory_list"]))
    assert "memories (1, 200 bits)" in ml
    assert "| `snn_accel.spike_buffer0.events` | 20 × 10 | 200 | 1/1 | snn_sram_20x10_a4_1r1w |" \
        in ml


class _Decoder(wiring.Component):
    """A case statement that Yosys's proc_rom turns into a ROM, and a RAM."""
    sel: In(5)
    bit: Out(1)
    addr: In(6)
    wdata: In(8)
    rdata: Out(8)

    def elaborate(self, platform):
        from amaranth.lib import memory
        m = Module()
        with m.Switch(self.sel):
            for v in range(32):
                with m.Case(v):
                    m.d.comb += self.bit.eq((0x9A3C_55E1 >> v) & 1)
        m.submodules.ram = ram = memory.Memory(shape=8, depth=64, init=[])
        wr, rd = ram.write_port(), ram.read_port()
        m.d.comb += [wr.addr.eq(self.addr), wr.data.eq(self.wdata), wr.en.eq(self.sel[0]),
                     rd.addr.eq(self.addr), self.rdata.eq(rd.data)]
        return m


@pytest.mark.synth
def test_roms_are_logic(settings, tmp_path):
    """A ROM (a memory without a write port: a case statement after proc_rom) is logic, not a
    memory; the RAM stays one (the generic flow on a design source that is not the
    accelerator)."""
    class Source:
        bare_description = "decoder"

        def bare(self):
            return _Decoder(), "snn_accel"

        def memory_bits(self, small):
            return None
    e = synth.flow.run_design("generic", Source(), "decoder", out_dir=str(tmp_path),
                              settings=settings)
    assert [(m["width"], m["depth"]) for m in e["memory_list"]] == [(8, 64)]
    assert e["memories"] == 1 and e["memory_bits"] == 512
