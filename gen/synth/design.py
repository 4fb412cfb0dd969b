"""The Verilog that is synthesised (the bare accelerator, or the accelerator behind the UART
host link) and the map from Yosys module names to the accelerator's components."""

import os
import re

from golden.files import atomic_write

from .settings import BOARD_TOP, TOP

_COMPONENTS = [
    (r"\.core\d+\.decoder$", "decoder"),
    (r"\.core\d+\.fire_unit$", "fire_units"),
    (r"\.core\d+$", "neuron_cores"),
    (r"\.spike_buffer\d+$", "buffers"),
    (r"\.router$", "router"),
    (r"\.sequencer$", "sequencer"),
    (r"\.emitter$", "emitter"),
    (r"\.pool$", "pool"),
    (r"\.encoder(\.fire_unit)?$", "encoder"),
    (r"\.params$", "param_memory"),
    (r"\.uart_(rx|tx)$", "host_link"),
]


def component_of(module):
    """Component name of a Yosys module name from the emitted hierarchy."""
    name = module.lstrip("\\")
    for pat, comp in _COMPONENTS:
        if re.search(pat, name):
            return comp
    if name in (TOP, BOARD_TOP):
        return "host_link" if name == BOARD_TOP else "top"
    if name.endswith(".accel"):
        return "top"
    return "other"


# -- design emission ----------------------------------------------------------------------------

def hardware_config(net, cores, adder="carry"):
    from rtl.config import HardwareConfig
    return HardwareConfig(net, cores=cores, trace=False, adder=adder)




def emit_accelerator(cfg, work):
    from rtl.top import Accelerator

    from ..verilog import emit
    atomic_write(os.path.join(work, f"{TOP}.v"), emit(Accelerator(cfg), TOP))
    return f"{TOP}.v"


def emit_board_top(cfg, work, clk_mhz, baud):
    from rtl.host_link import HostLink

    from ..verilog import emit
    div = max(2, int(round(clk_mhz * 1e6 / baud)))
    atomic_write(os.path.join(work, f"{BOARD_TOP}.v"), emit(HostLink(cfg, divisor=div), BOARD_TOP))
    return f"{BOARD_TOP}.v"


def small_memory_selection(settings):
    return f"t:$mem_v2 r:SIZE<={int(settings['common']['small_memory_max_depth'])} %i"
