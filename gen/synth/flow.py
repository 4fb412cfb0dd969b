"""One synthesis run: a network at P cores on one target, as a report entry."""

import os
import time

from .design import hardware_config
from .fpga import synth_fpga
from .generic import synth_generic
from .report import REPORT_FORMAT
from .settings import ROOT, TARGETS
from .sky130 import sky130_tools, synth_sky130
from .tools import SynthError, tool_versions


def check_target(target, settings):
    """SynthError (one line) when ``target`` is unknown or what it needs beyond the venv's
    tools is missing (the SKY130 Liberty file, OpenSTA); nothing is run or written."""
    if target not in TARGETS:
        raise SynthError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
    if target == "sky130":
        sky130_tools(settings)


def run_target(target, net, net_source, cores, *, out_dir, settings):
    """Run one target; return the report entry (raises SynthError)."""
    check_target(target, settings)
    # the membrane adder suited to the technology (constraints/targets.json, "adder")
    cfg = hardware_config(net, cores, settings.get(target, {}).get("adder", "carry"))
    work = os.path.join(out_dir, "work", f"{net.name}-p{cores}-{target}")
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    if target == "generic":
        res = synth_generic(cfg, work, settings)
    elif target in ("ice40", "ecp5"):
        res = synth_fpga(target, cfg, work, settings)
    else:
        res = synth_sky130(cfg, work, settings)
    res["report_format"] = REPORT_FORMAT
    res["target"] = target
    res["network"] = net.name
    res["network_source"] = net_source
    res["cores"] = cores
    res["T"] = cfg.T
    res["membrane_bits"] = cfg.membrane_bits
    res["adder"] = cfg.adder
    res["memory_bits_manifest"] = cfg.manifest()["memory_bits_total"]
    res["seconds"] = round(time.monotonic() - t0, 1)
    res["tools"] = tool_versions()
    if target == "sky130":
        res["tools"]["opensta"] = res["sta"]["version"]
    res["work_dir"] = os.path.relpath(work, ROOT)
    return res
