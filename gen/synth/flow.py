"""One synthesis run: a network at P cores on one target, as a report entry."""

import os
import time

from .design import hardware_config
from .fpga import synth_fpga
from .generic import synth_generic
from .settings import ROOT, TARGETS
from .sky130 import synth_sky130
from .tools import SynthError, tool_versions


def run_target(target, net, net_source, cores, *, out_dir, settings):
    """Run one target; return the report entry (raises SynthError / Skipped)."""
    # the membrane adder suited to the technology (constraints/targets.json, "adder")
    cfg = hardware_config(net, cores, settings.get(target, {}).get("adder", "carry"))
    work = os.path.join(out_dir, "work", f"{net.name}-p{cores}-{target}")
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    if target == "generic":
        res = synth_generic(cfg, work, settings)
    elif target in ("ice40", "ecp5"):
        res = synth_fpga(target, cfg, work, settings)
    elif target == "sky130":
        res = synth_sky130(cfg, work, settings)
    else:
        raise SynthError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
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
    if target == "sky130" and "sta" in res and "version" in res["sta"]:
        res["tools"]["opensta"] = res["sta"]["version"]
    res["work_dir"] = os.path.relpath(work, ROOT)
    return res
