"""Fan-out repair of a mapped netlist (no tools)."""

import json

from gen import synth


def test_buffer_fanout_bounds_every_net(tmp_path):
    """A net driving 100 inputs gets a balanced buffer tree: every driver then sees at most
    max_fanout inputs, every old sink still reaches the old driver through buffers only, and
    the driver is upsized; a small net is left alone."""
    cells = {"ff": {"type": "dff_1", "port_directions": {"D": "input", "Q": "output"},
                    "connections": {"D": [2], "Q": [3]}}}
    for i in range(100):
        cells[f"g{i}"] = {"type": "inv", "port_directions": {"A": "input", "Y": "output"},
                          "connections": {"A": [3], "Y": [10 + i]}}
    cells["small"] = {"type": "inv", "port_directions": {"A": "input", "Y": "output"},
                      "connections": {"A": [10], "Y": [200]}}
    src, dst = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps({"modules": {"top": {"ports": {"d": {"direction": "input",
                                                                     "bits": [2]}},
                                                   "cells": cells}}}))
    res = synth.buffer_fanout(str(src), str(dst), "top", "buf", 12, {"dff_1": "dff_4"})
    out = json.loads(dst.read_text())["modules"]["top"]["cells"]
    assert res["nets"] == 1 and res["upsized_drivers"] == 1 and res["buffers"] >= 100 // 12
    assert out["ff"]["type"] == "dff_4"
    fanout, driver = {}, {}
    for name, c in out.items():
        for port, bits in c["connections"].items():
            for b in bits:
                if c["port_directions"][port] == "input":
                    fanout[b] = fanout.get(b, 0) + 1
                else:
                    driver[b] = name
    assert max(fanout.values()) <= 12
    for i in range(100):
        net = out[f"g{i}"]["connections"]["A"][0]
        while net != 3:  # walk up through the buffers
            buf = out[driver[net]]
            assert buf["type"] == "buf"
            net = buf["connections"]["A"][0]
    assert out["small"]["connections"]["A"] == [10]
