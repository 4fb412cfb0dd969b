"""Static timing of the SKY130 netlist with OpenSTA, under stated wire models.

Without placement there are no wires, so a slack means something only together with the wire
capacitance it assumes. One OpenSTA session times the netlist under each model in turn:

- ``ideal``: no wire at all (``set_load 0`` on every net: pin capacitance only), an upper bound;
- ``liberty_wlm``: the Liberty file's ``default_wire_load`` (OpenSTA applies it when nothing else
  is set; in ``sky130_fd_sc_hd__tt_025C_1v80`` it is "Small": 0.33 fF at fan-out 1 to 1.2 fF at
  fan-out 6), the model this report used, unnamed, until it stated one;
- ``routed``: ``routed_net_load_ff`` of wire on every net (``set_load``, which replaces the
  wire-load model), the settings' stand-in for routed wires until a placer gives real ones.

Wire resistance is neglected in every model (lumped capacitance).
"""

import os
import re
import subprocess
import time

from golden.files import atomic_write

from .settings import TOP
from .tools import SynthError, first_error, sta_version

#: the order of the models in a report: least wire first
_SHOWN = ("ideal", "liberty_wlm", "routed")
NOTE = ("ideal clock, I/O constrained at 0 delay against clk, memory macros modelled by "
        "sky130_mem.lib (assumed timing), wire resistance neglected")


def liberty_default_wire_load(lib_text):
    """``(name, {fan-out: wire fF})`` of the Liberty file's ``default_wire_load`` (its
    ``fanout_length`` table times its capacitance per unit length), or None."""
    m = re.search(r'\bdefault_wire_load\s*:\s*"?([\w.-]+)"?\s*;', lib_text)
    if not m:
        return None
    name = m.group(1)
    block = re.search(r'wire_load\s*\(\s*"?%s"?\s*\)\s*\{(.*?)\}' % re.escape(name), lib_text,
                      re.DOTALL)
    if not block:
        raise SynthError(f"Liberty: default_wire_load {name!r} has no wire_load group")
    cap = re.search(r"\bcapacitance\s*:\s*([\d.eE+-]+)", block.group(1))
    pf_per_length = float(cap.group(1)) if cap else 0.0
    lengths = re.findall(r"fanout_length\s*\(\s*(\d+)\s*,\s*([\d.eE+-]+)\s*\)", block.group(1))
    return name, {int(n): round(float(length) * pf_per_length * 1000, 2) for n, length in lengths}


def wire_models(default_wire_load, net_load_ff):
    """``[(name, assumption, OpenSTA commands)]`` in the order one session applies them (each
    model's commands replace the previous model's, so the Liberty model, which is what OpenSTA
    starts with, comes first)."""
    models = []
    if default_wire_load:
        name, table = default_wire_load
        span = (f": {table[min(table)]:g} fF at fan-out {min(table)} to {table[max(table)]:g} fF "
                f"at fan-out {max(table)}" if table else "")
        models.append(("liberty_wlm",
                       f"the Liberty file's default wire-load model \"{name}\" (OpenSTA's "
                       f"default{span})", ""))
    models.append(("ideal", "no wire capacitance (set_load 0 on every net: pin loads only)",
                   "set_load 0 [get_nets *]"))
    models.append(("routed",
                   f"{net_load_ff:g} fF of wire on every net (set_load {net_load_ff / 1000:g} "
                   "pF), replacing the wire-load model",
                   f"set_load {net_load_ff / 1000:g} [get_nets *]"))
    return models


def run_sta(sta, work, libname, period_ns, *, default_wire_load, net_load_ff):
    """Time ``sky130_netlist.v`` at ``period_ns`` under every wire model; one result per model
    (worst slack, total negative slack, the period it would run at, critical path ends)."""
    sdc = (f"create_clock -name clk -period {period_ns} [get_ports clk]\n"
           "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n"
           "set_output_delay 0 -clock clk [all_outputs]\n")
    atomic_write(os.path.join(work, "sky130.sdc"), sdc)
    models = wire_models(default_wire_load, net_load_ff)
    reports = []
    for name, _, commands in models:
        reports.append(f"""{commands}
report_checks -path_delay max -digits 3 -fields {{fanout capacitance}} > sta_{name}_paths.txt
report_worst_slack -digits 3 > sta_{name}_wns.txt
report_tns -digits 3 > sta_{name}_tns.txt""")
    tcl = f"""read_liberty {libname}
read_liberty sky130_mem.lib
read_verilog sky130_netlist.v
link_design {TOP}
read_sdc sky130.sdc
{chr(10).join(reports)}
exit
"""
    atomic_write(os.path.join(work, "sky130_sta.tcl"), tcl)
    t0 = time.monotonic()
    try:
        p = subprocess.run([sta, "-no_init", "-no_splash", "-exit", "sky130_sta.tcl"], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1800, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthError(f"OpenSTA failed: {exc}") from None
    dt = time.monotonic() - t0
    atomic_write(os.path.join(work, "sta.log"), p.stdout)
    results = {}
    for name, assumption, _ in sorted(models, key=lambda m: _SHOWN.index(m[0])):
        results[name] = {"assumption": assumption,
                         **_read_reports(work, name, period_ns, p.stdout)}
    results["routed"]["net_load_ff"] = net_load_ff
    return {"period_ns": period_ns, "wire_models": results, "version": sta_version(sta),
            "seconds": round(dt, 1), "note": NOTE}


def _read_reports(work, name, period_ns, log):
    try:
        texts = {}
        for kind in ("wns", "tns", "paths"):
            with open(os.path.join(work, f"sta_{name}_{kind}.txt")) as f:
                texts[kind] = f.read()
    except OSError:
        raise SynthError("OpenSTA failed: " + first_error(log, work, [])) from None
    wns = _number_after(texts["wns"], "slack", "worst slack")
    tns = _number_after(texts["tns"], "tns", "total negative slack")
    start = re.search(r"Startpoint: (\S+)", texts["paths"])
    end = re.search(r"Endpoint: (\S+)", texts["paths"])
    return {"worst_slack_ns": wns, "tns_ns": tns, "meets_period": wns >= 0,
            # the period this netlist would run at: the target minus the worst slack, either
            # way (a positive slack leaves room, a negative one is the shortfall)
            "achieved_period_ns": round(period_ns - wns, 3),
            "achieved_mhz": round(1000.0 / (period_ns - wns), 1),
            "critical_path": {"startpoint": start.group(1) if start else None,
                              "endpoint": end.group(1) if end else None}}


def _number_after(text, word, what):
    m = re.search(r"(-?[\d.]+)", text.split(word)[-1] if word in text else text)
    if not m:
        raise SynthError(f"OpenSTA: cannot parse the {what} ({text.strip()[:80]})")
    return float(m.group(1))
