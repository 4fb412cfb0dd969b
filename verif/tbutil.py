"""Helpers used inside the cocotb test modules (they run in the simulator's Python)."""

import json
import os

from golden.files import atomic_write

__all__ = ["load_case", "write_stats", "start_clock", "reset"]


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


async def start_clock(dut, period_ns=10):
    from cocotb.clock import Clock
    Clock(dut.clk, period_ns, unit="ns").start()


async def reset(dut, cycles=2):
    from cocotb.triggers import RisingEdge
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0


