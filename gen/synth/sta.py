"""Static timing of the SKY130 netlist with OpenSTA."""

import os
import re
import subprocess
import time

from golden.files import atomic_write

from .settings import TOP
from .tools import SynthError, first_error, sta_version


def run_sta(sta, work, libname, period_ns):
    sdc = (f"create_clock -name clk -period {period_ns} [get_ports clk]\n"
           "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n"
           "set_output_delay 0 -clock clk [all_outputs]\n")
    atomic_write(os.path.join(work, "sky130.sdc"), sdc)
    tcl = f"""read_liberty {libname}
read_liberty sky130_mem.lib
read_verilog sky130_netlist.v
link_design {TOP}
read_sdc sky130.sdc
report_checks -path_delay max -digits 3 -fields {{fanout}} > sta_paths.txt
report_worst_slack -digits 3 > sta_wns.txt
report_tns -digits 3 > sta_tns.txt
exit
"""
    atomic_write(os.path.join(work, "sky130_sta.tcl"), tcl)
    t0 = time.monotonic()
    try:
        p = subprocess.run([sta, "-no_init", "-no_splash", "-exit", "sky130_sta.tcl"], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1800, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthError(f"OpenSTA failed: {exc}") from None
    dt = time.monotonic() - t0
    atomic_write(os.path.join(work, "sta.log"), p.stdout)
    try:
        with open(os.path.join(work, "sta_wns.txt")) as f:
            wns_text = f.read()
        with open(os.path.join(work, "sta_paths.txt")) as f:
            paths = f.read()
    except OSError:
        raise SynthError("OpenSTA failed: " + first_error(p.stdout, work, [])) from None
    m = re.search(r"(-?[\d.]+)", wns_text.split("slack")[-1] if "slack" in wns_text
                  else wns_text)
    if not m:
        raise SynthError(f"OpenSTA: cannot parse the worst slack ({wns_text.strip()[:80]})")
    wns = float(m.group(1))
    start = re.search(r"Startpoint: (\S+)", paths)
    end = re.search(r"Endpoint: (\S+)", paths)
    return {"period_ns": period_ns, "worst_slack_ns": wns,
            "meets_period": wns >= 0,
            # the period this netlist would run at: the target minus the worst slack, either
            # way (a positive slack leaves room, a negative one is the shortfall)
            "achieved_period_ns": round(period_ns - wns, 3),
            "achieved_mhz": round(1000.0 / (period_ns - wns), 1),
            "critical_path": {"startpoint": start.group(1) if start else None,
                              "endpoint": end.group(1) if end else None},
            "version": sta_version(sta), "seconds": round(dt, 1),
            "note": "ideal clock, I/O constrained at 0 delay against clk, memory macros "
                    "modelled by sky130_mem.lib (assumed timing)"}
