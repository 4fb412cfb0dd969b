"""Frames per second of a processor preset's workload at the clock its synthesis reached.

``WORKLOADS`` names the workload of a preset (``vgg16``: the VGG-16 hardware workload
``vgg16-shape-random`` of ``golden.workload``, not a classifier). Its cycles per inference are
those of the processor's exact cycle model (``golden.processor_cycles``) on the workload's
held-out synthetic images (``golden.workload.synthetic_images``, the images
``make regress-processor`` runs), under a memory whose read port answers a fixed
``port_latency_cycles`` after a request at full bandwidth (``constraints/targets.json``,
``frame_rate``); the frame rate is the run's Fmax divided by their mean. On SKY130 there is one
Fmax per wire model of ``gen.synth.sta`` (each with its assumption); the memory macros' access
time is the assumed one of the settings (``sram_clk_to_q_ns``), not a characterised macro's.
"""

from .settings import SETTINGS_NAME
from .tools import SynthError

__all__ = ["WORKLOADS", "workload_cycles", "frame_rates"]

#: preset -> the network whose frames per second its report gives
WORKLOADS = {"vgg16": "vgg16-shape-random"}


def workload_cycles(preset_name, settings):
    """``None`` when the preset has no workload, else the workload's cycles per inference:
    ``{"network", "images", "cycles" (one per image), "cycles_per_inference" (their mean),
    "port_latency_cycles", "model"}``."""
    name = WORKLOADS.get(preset_name)
    if name is None:
        return None
    from golden import capacity, event, processor_cycles, workload
    from golden.network import load
    if name != workload.NAME:
        raise SynthError(f"frame rate: no images for the workload {name!r} (only "
                         f"{workload.NAME}'s synthetic ones)")
    s = settings["frame_rate"]
    latency, images = s["port_latency_cycles"], s["images"]
    for key, v in (("port_latency_cycles", latency), ("images", images)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise SynthError(f"frame_rate.{key} must be an integer >= 1, not {v!r} "
                             f"({SETTINGS_NAME})")
    net, cap = load(name), capacity.preset(preset_name)
    cycles = [int(processor_cycles.inference_cycles(net, cap, event.run(net, img),
                                                    latency=latency).done)
              for img in workload.synthetic_images(images, purpose="heldout")]
    return {"network": name, "images": len(cycles), "cycles": cycles,
            "cycles_per_inference": round(sum(cycles) / len(cycles), 1),
            "port_latency_cycles": latency,
            "model": (f"golden.processor_cycles on {len(cycles)} held-out synthetic images of "
                      f"golden.workload; memory port latency {latency} cycles, full bandwidth "
                      "(" + s["_port_latency_doc"] + ")")}


def frame_rates(entry, cycles_per_inference):
    """``{clock: frames per second}`` of a report entry: one per SKY130 wire model (its
    ``achieved_mhz``), or nextpnr's Fmax on an FPGA; ``{}`` on the generic target."""
    if "sta" in entry:
        clocks = {name: m["achieved_mhz"] for name, m in entry["sta"]["wire_models"].items()}
    elif entry.get("fmax_mhz"):
        clocks = {"nextpnr": entry["fmax_mhz"]}
    else:
        return {}
    return {name: round(mhz * 1e6 / cycles_per_inference, 2) for name, mhz in clocks.items()}
