"""SKY130 memories as black-box macros: one cell per memory shape, its Verilog stub for Yosys
and a Liberty model for area (bit-cell density) and timing (assumed clock-to-data and setup)."""


def memory_shapes(coarse_json):
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


def blackbox_verilog(shapes):
    out = []
    for name, p in shapes.items():
        ports = [(n, d, w(p)) for n, d, w in _MEM_PINS if w(p) > 0]
        decl = ", ".join(f"{d} [{w - 1}:0] {n}" for n, d, w in ports)
        out.append(f"(* blackbox *)\nmodule {name}({decl});\nendmodule\n")
    return "\n".join(out)


def macro_liberty(shapes, um2_per_bit, clk_q, setup):
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


def memory_instances(coarse_json, shapes=None):
    """Every ``$mem_v2`` cell of a hierarchical Yosys netlist, one entry per memory:
    ``{"memory": "<module path>.<memory name>", "width", "depth", "bits", "read_ports",
    "write_ports"}`` and, given ``shapes`` (of ``memory_shapes``), the ``macro`` it maps to;
    sorted by bits (largest first), then name. Amaranth emits one module per instance, so a
    module name is an instance path."""
    names = {}
    for name, p in (shapes or {}).items():
        names[(p["WIDTH"], p["SIZE"], p["ABITS"], p["RD_PORTS"], p["WR_PORTS"])] = name
    out = []
    for mod_name, mod in coarse_json["modules"].items():
        for cell_name, cell in mod.get("cells", {}).items():
            if cell["type"] != "$mem_v2":
                continue
            p = {k: int(v, 2) if isinstance(v, str) else int(v)
                 for k, v in cell["parameters"].items()
                 if k in ("WIDTH", "SIZE", "ABITS", "RD_PORTS", "WR_PORTS")}
            mem = cell["parameters"].get("MEMID", cell_name)
            entry = {"memory": f"{mod_name.lstrip(chr(92))}.{str(mem).lstrip(chr(92))}",
                     "width": p["WIDTH"], "depth": p["SIZE"], "bits": p["WIDTH"] * p["SIZE"],
                     "read_ports": p["RD_PORTS"], "write_ports": p["WR_PORTS"]}
            if shapes is not None:
                entry["macro"] = names[(p["WIDTH"], p["SIZE"], p["ABITS"], p["RD_PORTS"],
                                        p["WR_PORTS"])]
            out.append(entry)
    return sorted(out, key=lambda e: (-e["bits"], e["memory"]))
