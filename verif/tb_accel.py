"""cocotb testbench of the full Accelerator (emitted Verilog): the layer tests and the network
test. The host is ``verif.host_driver.Host``, the same code that
``verif.amaranth_sim.run_inference`` runs under Amaranth's simulator (same random sequence for
the host's valid/ready), over ``verif.simio.CocotbIO``; it fills the simulator-neutral
``Observation`` that ``verif.scoreboard.check`` compares with the golden model.

The case (``VERIF_CASE``, written by ``verif.cases``) gives the network file, P, the membrane
width and a list of runs; each run is a list of images with its host behaviour:
``ready_prob``/``valid_prob`` (< 1: random back-pressure / bubbles), ``cycles`` (check the
per-layer phase cycles: only meaningful when the host never stalls), and optionally ``load``:
a network of the same shape written through the ``load`` port before the run.
"""

import time

import cocotb
import numpy as np
from cocotb.simtime import get_sim_time

from golden.network import load as load_network
from rtl.config import HardwareConfig
from rtl.top import Accelerator
from verif.host_driver import Host
from verif.scoreboard import Mismatch, check, expect
from verif.simio import CocotbIO
from verif.tbutil import load_case, reset, start_clock, write_stats


@cocotb.test()
async def accelerator(dut):
    case = load_case()
    t0 = time.monotonic()
    seed = int(case["seed"])
    net = load_network(case["net"])
    cfg = HardwareConfig(net, cores=case["cores"], membrane_bits=case["membrane_bits"],
                         threshold_bits=case.get("threshold_bits"),
                         bias_bits=case.get("bias_bits"), adder=case.get("adder", "carry"),
                         trace=True)
    rng = np.random.default_rng(seed)
    stats = {"seed": seed, "images": 0, "passed_images": 0, "failed_images": 0,
             "correct": 0, "labelled": 0, "cycles": 0, "runs": [], "failures": []}

    io = CocotbIO(Accelerator(cfg), dut)
    for name in io.inputs():  # defined inputs through reset (Icarus starts them at X)
        io.set(name, 0)
    await start_clock(dut)
    await reset(dut)
    host = Host(io, cfg, rng)
    error = None
    rcfg = cfg  # what the DUT's memories hold now
    for run in case["runs"]:
        if run.get("load"):
            rcfg = await host.load(load_network(run["load"]), case["membrane_bits"])
        images = np.asarray(run["images"], dtype=np.uint8)
        labels = run.get("labels")
        rstat = {"name": run["name"], "images": len(images), "cycles": 0, "passed": 0,
                 "correct": 0, "labelled": 0, "inference_cycles": []}
        c0 = host.cycle
        for i, image in enumerate(images):
            image = image.reshape(net.input_shape)
            ic0 = host.cycle
            where = f"run {run['name']!r} image {i} (seed {seed})"
            try:
                obs = await host.infer(image, ready_prob=run.get("ready_prob", 1.0),
                                       valid_prob=run.get("valid_prob", 1.0))
            except Mismatch as exc:  # a hang: the DUT is mid-inference, stop here
                error = error or f"{where}: {exc}"
                stats["failed_images"] += 1
                stats["failures"].append(f"{where}: {exc}")
                dut._log.error(f"{where}: {exc}")
                break
            stats["images"] += 1
            try:
                check(expect(rcfg, image), obs, cycles=run.get("cycles", False))
            except Mismatch as exc:
                msg = f"{where}: {exc}"
                dut._log.error(msg)
                stats["failed_images"] += 1
                if len(stats["failures"]) < 20:
                    stats["failures"].append(msg)
                error = error or msg
                if not case.get("keep_going"):
                    break
            else:
                stats["passed_images"] += 1
                rstat["passed"] += 1
                rstat["inference_cycles"].append(host.cycle - ic0)
            if labels is not None:
                stats["labelled"] += 1
                stats["correct"] += int(obs.prediction == int(labels[i]))
                rstat["labelled"] += 1
                rstat["correct"] += int(obs.prediction == int(labels[i]))
        rstat["cycles"] = host.cycle - c0
        stats["runs"].append(rstat)
        if error and not case.get("keep_going"):
            break
    stats["cycles"] = host.cycle
    stats["sim_time_ns"] = get_sim_time("ns")
    stats["wall_s"] = time.monotonic() - t0
    if error:
        stats["error"] = error
    write_stats(case, **stats)
    assert error is None, error
