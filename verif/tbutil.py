"""Helpers used inside the cocotb test modules (they run in the simulator's Python)."""

import json
import os


from amaranth.hdl import Shape

from golden.files import atomic_write

__all__ = ["load_case", "write_stats", "Fields", "start_clock", "reset"]


def load_case():
    path = os.environ.get("VERIF_CASE")
    if not path:
        raise RuntimeError("VERIF_CASE is not set: run this test through verif.runner")
    with open(path) as f:
        return json.load(f)


def write_stats(case, **stats):
    path = case.get("stats")
    if path:
        atomic_write(path, json.dumps(stats))


class Fields:
    """Decode / encode a packed ``amaranth.lib.data`` StructLayout value (an int), using the
    layout's own offsets and widths (nothing hard-coded)."""

    def __init__(self, layout):
        self.fields = []
        for name, f in layout:
            shape = Shape.cast(f.shape) if not hasattr(f.shape, "members") else None
            signed = bool(shape.signed) if shape is not None else False
            self.fields.append((name, f.offset, f.width, signed))
        self.width = layout.size

    def decode(self, v):
        out = {}
        for name, off, w, signed in self.fields:
            x = (v >> off) & ((1 << w) - 1)
            if signed and x >> (w - 1):
                x -= 1 << w
            out[name] = x
        return out

    def encode(self, **values):
        v = 0
        for name, off, w, _ in self.fields:
            v |= (int(values.get(name, 0)) & ((1 << w) - 1)) << off
        return v


async def start_clock(dut, period_ns=10):
    from cocotb.clock import Clock
    Clock(dut.clk, period_ns, unit="ns").start()


async def reset(dut, cycles=2):
    from cocotb.triggers import RisingEdge
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0


