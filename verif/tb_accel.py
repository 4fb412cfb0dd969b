"""cocotb testbench of the full Accelerator (emitted Verilog): the layer tests and the network
test. It mirrors ``verif.amaranth_sim.run_inference`` cycle for cycle (same random sequence for
the host's valid/ready) and fills the same simulator-neutral ``Observation``, which
``verif.scoreboard.check`` compares with the golden model.

The case (``VERIF_CASE``, written by ``verif.cases``) gives the network file, P, the membrane
width and a list of runs; each run is a list of images with its host behaviour:
``ready_prob``/``valid_prob`` (< 1: random back-pressure / bubbles), ``cycles`` (check the
per-layer phase cycles: only meaningful when the host never stalls), and optionally ``load``:
a network of the same shape written through the ``load`` port before the run.
"""

import time

import numpy as np

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import ReadOnly, RisingEdge

from golden.network import load as load_network
from rtl.config import HardwareConfig
from rtl.top import Accelerator
from verif.scoreboard import Mismatch, Observation, check, expect
from verif.tbutil import Fields, load_case, reset, start_clock, write_stats


def _payload_layout(top, port):
    return top.signature.members[port].signature.members["payload"].shape


class Host:
    """Drivers and monitors of the accelerator's host streams."""

    def __init__(self, dut, config, rng):
        self.dut = dut
        self.cfg = config
        self.rng = rng
        top = Accelerator(config)
        self.trace_f = Fields(_payload_layout(top, "trace")) if config.trace else None
        self.score_f = Fields(_payload_layout(top, "scores"))
        self.load_f = Fields(_payload_layout(top, "load"))
        self.cycle = 0

    async def load(self, net, membrane_bits):
        """Write every weight, bias and threshold of ``net`` through the load port (idle)."""
        dut = self.dut
        cfg = HardwareConfig(net, cores=self.cfg.cores, membrane_bits=membrane_bits,
                             threshold_bits=self.cfg.threshold_bits,
                             bias_bits=self.cfg.bias_bits, trace=self.cfg.trace)
        weights = cfg.weight_images()
        biases, thresholds = cfg.param_images()
        items = []
        for p in range(cfg.cores):
            items += [(p, 0, a, v) for a, v in enumerate(weights[p])]
        if biases and isinstance(biases[0], (list, tuple)):  # per-core parameter memories
            for p in range(cfg.cores):
                items += [(p, 1, a, v) for a, v in enumerate(biases[p])]
                items += [(p, 2, a, v) for a, v in enumerate(thresholds[p])]
        else:  # one shared memory, entry (param_base + g) * P + p <- load (core p, addr)
            for target, image in ((1, biases), (2, thresholds)):
                for entry, v in enumerate(image):
                    a, p = divmod(entry, cfg.cores)
                    items.append((p, target, a, v))
        dut.pixels__valid.value = 0
        i = 0
        while i < len(items):
            core, target, addr, value = items[i]
            valid = int(self.rng.random() < 0.8)
            dut.load__valid.value = valid
            dut.load__payload.value = self.load_f.encode(core=core, target=target, addr=addr,
                                                         data=value)
            await ReadOnly()
            taken = valid and int(dut.load__ready.value)
            await RisingEdge(dut.clk)
            self.cycle += 1
            if taken:
                i += 1
        dut.load__valid.value = 0
        return cfg

    async def infer(self, image, *, ready_prob=1.0, valid_prob=1.0, max_cycles=10**7):
        """One inference (the amaranth_sim bench loop, cycle for cycle)."""
        dut, rng, cfg = self.dut, self.rng, self.cfg
        trace = cfg.trace
        s_ready, p_ready, t_ready = dut.scores__ready, dut.prediction__ready, \
            (dut.trace__ready if trace else None)
        px_valid, px_payload, px_ready = dut.pixels__valid, dut.pixels__payload, dut.pixels__ready
        phase_h, layer_h = dut.phase, dut.layer
        t_valid = dut.trace__valid if trace else None
        t_payload = dut.trace__payload if trace else None
        s_valid, s_payload = dut.scores__valid, dut.scores__payload
        p_valid, p_payload = dut.prediction__valid, dut.prediction__payload
        tdec, sdec = (self.trace_f.decode if trace else None), self.score_f.decode
        clk_edge = RisingEdge(dut.clk)
        ro = ReadOnly()

        obs = Observation()
        pixels = [int(v) for v in np.asarray(image).ravel()]
        pos = 0
        last = None
        start = self.cycle
        while True:
            rdy = int(rng.random() < ready_prob)
            s_ready.value = rdy
            p_ready.value = int(rng.random() < ready_prob)
            if trace:
                t_ready.value = rdy
            more = pos < len(pixels)
            pv = more and rng.random() < valid_prob
            px_valid.value = int(pv)
            if more:
                px_payload.value = pixels[pos]
            await ro
            ph = (int(phase_h.value), int(layer_h.value))
            if ph != last:
                obs.phases.append((self.cycle, ph[0], ph[1]))
                last = ph
            if pv and int(px_ready.value):
                pos += 1
            if trace and rdy and int(t_valid.value):
                t = tdec(int(t_payload.value))
                obs.trace.append((t["layer"], t["c"], t["y"], t["x"], t["k"], self.cycle))
            if rdy and int(s_valid.value):
                s = sdec(int(s_payload.value))
                obs.scores.append((s["cls"], s["score"], self.cycle))
            done = int(p_valid.value) and int(p_ready.value)
            if done:
                obs.prediction = int(p_payload.value)
            await clk_edge
            self.cycle += 1
            if done:
                break
            if self.cycle - start > max_cycles:
                raise Mismatch(f"no prediction after {max_cycles} cycles (phase {last})")
        obs.phases.append((self.cycle, 0, 0))
        obs.cycles = self.cycle
        return obs


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

    dut.pixels__valid.value = 0
    dut.load__valid.value = 0
    dut.scores__ready.value = 0
    dut.prediction__ready.value = 0
    dut.trace__ready.value = 0
    await start_clock(dut)
    await reset(dut)
    host = Host(dut, cfg, rng)
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
