"""One synthesis run: a design source on one target, as a report entry (``run_design``); the
fixed-network accelerator of a network at P cores (``run_target``)."""

import os
import time

from .design import AcceleratorDesign, hardware_config
from .fpga import synth_fpga
from .generic import synth_generic
from .report import REPORT_FORMAT
from .settings import ROOT, TARGETS
from .sky130 import sky130_tools, synth_sky130
from .tools import SynthError, tool_versions

FPGA_TARGETS = ("ice40", "ecp5")


def check_target(target, settings):
    """SynthError (one line) when ``target`` is unknown or what it needs beyond the venv's
    tools is missing (the SKY130 Liberty file, OpenSTA); nothing is run or written."""
    if target not in TARGETS:
        raise SynthError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
    if target == "sky130":
        sky130_tools(settings)


def run_design(target, design, work_name, *, out_dir, settings):
    """Synthesise the design source ``design`` on ``target`` in ``out_dir/work/work_name``.
    Returns the report entry without the design's own fields (raises SynthError)."""
    check_target(target, settings)
    work = os.path.join(out_dir, "work", work_name)
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    if target == "generic":
        res = synth_generic(design, work, settings)
    elif target in FPGA_TARGETS:
        res = synth_fpga(target, design, work, settings)
    else:
        res = synth_sky130(design, work, settings)
    res["report_format"] = REPORT_FORMAT
    res["target"] = target
    res["seconds"] = round(time.monotonic() - t0, 1)
    res["tools"] = tool_versions()
    if target == "sky130":
        res["tools"]["opensta"] = res["sta"]["version"]
    res["work_dir"] = os.path.relpath(work, ROOT)
    return res


def run_target(target, net, net_source, cores, *, out_dir, settings, fpga_wrapper="host_link"):
    """The fixed-network accelerator of ``net`` at ``cores`` on ``target`` (on an FPGA behind
    ``fpga_wrapper``: ``AcceleratorDesign``); returns the report entry (raises SynthError)."""
    check_target(target, settings)
    # the membrane adder suited to the technology (constraints/targets.json, "adder")
    cfg = hardware_config(net, cores, settings.get(target, {}).get("adder", "carry"))
    pins = target in FPGA_TARGETS and fpga_wrapper == "pins"
    res = run_design(target, AcceleratorDesign(cfg, fpga_wrapper=fpga_wrapper),
                     f"{net.name}-p{cores}-{target}" + ("-pins" if pins else ""),
                     out_dir=out_dir, settings=settings)
    res["network"] = net.name
    res["network_source"] = net_source
    res["cores"] = cores
    res["T"] = cfg.T
    res["membrane_bits"] = cfg.membrane_bits
    res["adder"] = cfg.adder
    res["memory_bits_manifest"] = cfg.manifest()["memory_bits_total"]
    return res


def entry_key(network, cores, target, *, pins=False):
    """The report key of a fixed-network run (``net/pP/target``, ``+pins`` behind the pin
    wrapper)."""
    return f"{network}/p{cores}/{target}" + ("+pins" if pins else "")
