"""The processor (docs/PROCESSOR.md) as a synthesis design source, and its comparison with the
fixed-network accelerator of the same P.

A processor is generated from a capacity preset (``golden.capacity.PRESETS``), not from a
network. ``ProcessorDesign`` synthesises either the top (``design="top"``: ``rtl.processor``'s
``Processor``, with its AXI4 read master and AXI4-Lite registers) or the core (``"core"``:
``rtl.processor_core.ProcessorCore``, the datapath and sequencer behind the abstract memory
port, without the bus interfaces). Gate-level targets take it bare (memories black-boxed as
every design's); FPGAs take it behind the pin wrapper (``gen.synth.pins``), since its ports
outnumber the package's pins.

``FIXED_NETWORK`` names the network whose fixed-network accelerator, at the preset's P, each
preset is compared with (on FPGAs behind the same pin wrapper, so that the two differ only in
the design): ``ice40-digits`` (P = 4) against digits, ``ecp5-mnist`` (P = 8) against mnist,
``vgg16`` (P = 32) against mnist-vgg16 (the deepest shipped network it runs), the rate presets
``ecp5-mnist-rate-tT`` against mnist-rate-tT.

The target clock of a run is the preset's ``clock_mhz`` when the capacity has one, else the
target's (``constraints/targets.json``). A preset with a workload (``gen.synth.frame_rate``:
``vgg16``) has its frames per second at the run's Fmax in the entry (``workload_fps``, one per
SKY130 wire model; ``workload``: the cycles per inference they divide).
"""

import copy
from dataclasses import asdict

from .design import pin_figures
from .flow import FPGA_TARGETS, entry_key, run_design, run_target
from .frame_rate import frame_rates, workload_cycles
from .settings import BOARD_TOP, TOP
from .tools import SynthError

__all__ = ["ProcessorDesign", "FIXED_NETWORK", "DESIGNS", "processor_key", "run_preset"]

#: preset -> the shipped network of the fixed-network design it is compared with, at its P
FIXED_NETWORK = {"ice40-digits": "digits", "ecp5-mnist": "mnist", "vgg16": "mnist-vgg16",
                 **{f"ecp5-mnist-rate-t{T}": f"mnist-rate-t{T}" for T in (2, 4, 8)}}
#: what of the processor is synthesised
DESIGNS = ("top", "core")


def capacity_of(preset_name):
    """The capacity preset ``preset_name`` (SynthError naming the known ones)."""
    from golden.capacity import CapacityError, preset
    try:
        return preset(preset_name)
    except CapacityError as exc:
        raise SynthError(str(exc)) from None


def processor_class(design):
    """The processor's component class of ``design`` ("top" or "core")."""
    if design == "core":
        from rtl.processor_core import ProcessorCore
        return ProcessorCore
    if design != "top":
        raise SynthError(f"processor design must be one of {', '.join(DESIGNS)}, not "
                         f"{design!r}")
    try:
        from rtl.processor import Processor
    except ImportError:
        raise SynthError("rtl/processor.py has no Processor yet (branch processor): synthesise "
                         "the core with --design core") from None
    return Processor


class ProcessorDesign:
    """The processor of ``capacity`` as a design source (``gen.synth.design``): bare on
    gate-level targets, behind the pin wrapper on FPGAs."""

    def __init__(self, capacity, *, design, adder):
        self.capacity = capacity
        self.design = design
        self.adder = adder
        self._cls = processor_class(design)   # fails before any work on a bad design

    def _component(self):
        from rtl.processor_config import ProcessorConfig
        return self._cls(ProcessorConfig(self.capacity, adder=self.adder, trace=False))

    @property
    def bare_description(self):
        return f"{TOP} (processor {self.design}, {self.capacity.name})"

    def bare(self):
        return self._component(), TOP

    def fpga(self, clock_mhz, baud):
        from .pins import PinWrapper
        top = PinWrapper(self._component())
        return (top, f"{BOARD_TOP} (pin wrapper + processor {self.design}, "
                     f"{self.capacity.name})", pin_figures(top))

    def memory_bits(self, small):
        """None: the generic target counts the processor's memories from Yosys's netlist."""
        return None


def processor_key(preset_name, design, target):
    return f"processor-{preset_name}/{design}/{target}"


def clock_of(capacity, target, settings):
    clock = getattr(capacity, "clock_mhz", None)
    return clock if clock else settings.get(target, {}).get("clock_mhz")


def run_preset(target, preset_name, *, design, out_dir, settings, compare=True, log=print):
    """The processor of preset ``preset_name`` on ``target`` and (``compare``) the fixed-network
    accelerator of ``FIXED_NETWORK[preset_name]`` at the same P; ``{report key: entry}``."""
    from .settings import resolve_network
    capacity = capacity_of(preset_name)
    adder = settings.get(target, {}).get("adder", "carry")
    src = ProcessorDesign(capacity, design=design, adder=adder)
    clock = clock_of(capacity, target, settings)
    pins = target in FPGA_TARGETS
    if pins and clock != settings[target]["clock_mhz"]:
        # the processor and the fixed-network design are placed for the same clock
        settings = copy.deepcopy(settings)
        settings[target]["clock_mhz"] = clock
    fixed_key = entry_key(FIXED_NETWORK[preset_name], capacity.cores, target, pins=pins)
    # before the synthesis, so that a workload that does not load fails before any long run
    workload = workload_cycles(preset_name, settings) if target != "generic" else None
    e = run_design(target, src, f"processor-{preset_name}-{design}-{target}", out_dir=out_dir,
                   settings=settings)
    e.update({"network": f"processor {preset_name}", "processor_design": design,
              "preset": preset_name, "processor_capacity": asdict(capacity),
              "cores": capacity.cores,
              "T": capacity.T, "membrane_bits": capacity.membrane_bits, "adder": adder,
              "compare_key": fixed_key})
    if workload:
        e["workload"] = workload
        e["workload_fps"] = frame_rates(e, workload["cycles_per_inference"])
    out = {processor_key(preset_name, design, target): e}
    log(f"synth: {target} processor {preset_name} ({design}) done ({e['seconds']} s)")
    if compare:
        net, source = resolve_network(FIXED_NETWORK[preset_name])
        out[fixed_key] = run_target(target, net, source, capacity.cores, out_dir=out_dir,
                                    settings=settings,
                                    fpga_wrapper="pins" if pins else "host_link")
    return out
