"""Fan-out repair of a mapped netlist: buffer trees on the nets ABC does not see."""

import json

from golden.files import atomic_write

from .tools import load_json


def buffer_fanout(src, dst, top, buf_cell, max_fanout, upsize=None):
    """Buffer trees on the nets of a mapped flat netlist (yosys JSON, cells with port
    directions) that drive more than ``max_fanout`` cell inputs, so that no driver sees more,
    and a stronger cell (``upsize``: {cell: stronger cell}) for their drivers: what a placer's
    repair step would do, and what ABC cannot do for the nets it does not see (flip-flop
    outputs, ports). Writes ``dst``; returns how many buffers were added, how many nets needed
    them and how many drivers were upsized."""
    upsize = upsize or {}
    d = load_json(src)
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
