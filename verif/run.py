"""``python -m verif.run`` (``make run-fixed``): the fixed-network accelerator's job on a network.

Generates the fixed-network accelerator of the network (Verilog, memory images, manifest),
simulates it on held-out images under Amaranth's simulator, checks every layer's events, the
scores, the prediction and the per-layer cycle counts against the golden model, and writes a
report (``report.md`` and ``report.json`` beside the Verilog). ``make run`` runs a network on
the processor instead (``verif.proc_run``).
It lives in ``verif`` (not ``gen``) because it simulates and checks: the layers import downwards
only (golden <- rtl <- gen <- verif <- bench, see ``scripts/layering.py``).
"""

import json
import os
import sys
import time

import numpy as np

from gen.verilog import build_config, write_design
from golden import cli, data
from golden import cycles as cycle_model
from golden.files import atomic_write
from golden.network import NetworkError
from rtl.config import ConfigError

from . import scoreboard as sb
from .amaranth_sim import run_inference

#: nominal clock used to turn cycles into latency in the report (see constraints/)
REPORT_CLOCK_MHZ = 100.0


def simulate(cfg, images):
    """(observations, seconds) of the images under Amaranth's simulator."""
    t0 = time.time()
    obs = run_inference(cfg, images)
    return obs, time.time() - t0


def run(net_name, P, n_images, out):
    """Generate into ``out``, simulate ``n_images`` held-out images, check, write the report."""
    cfg = build_config(net_name, P)
    net = cfg.network
    x, y = data.load(net_name, "heldout")  # a network name or file maps to its data set
    x, y = x[:n_images], y[:n_images]
    t0 = time.time()
    man = write_design(cfg, out)
    gen_s = time.time() - t0
    obs, sim_s = simulate(cfg, x)
    rows = []
    mismatches = []
    util_num = util_den = 0
    for i, (image, label, o) in enumerate(zip(x, y, obs)):
        exp = sb.expect(cfg, image)
        try:
            sb.check(exp, o, cycles=True)
            ok = True
        except sb.Mismatch as exc:
            ok = False
            mismatches.append(f"image {i}: {exc}")
        durations = sb.phase_durations(o)
        tr = exp.trace
        for layer, (integ, _), mc in zip(net.layers, durations, exp.cycles):
            if layer.kind == "conv2d" and layer.out_channels >= P:
                util_num += mc.lane_ops
                util_den += P * (integ - cycle_model.INTEGRATE_OVERHEAD)
        cycles = sum(a + b for a, b in durations)
        rows.append({"image": i, "label": int(label), "prediction": o.prediction,
                     "golden": exp.prediction, "match": ok, "cycles": cycles,
                     "events": int(tr.counts["events"]), "synops": int(tr.counts["synops"])})
    n = len(rows)
    cyc = np.array([r["cycles"] for r in rows])
    report = {
        "network": net.name, "cores": P, "T": net.T, "F": net.F, "coding": net.coding,
        "fire_rule": net.fire_rule, "membrane_bits": cfg.membrane_bits,
        "threshold_bits": cfg.threshold_bits, "bias_bits": cfg.bias_bits,
        "verilog": os.path.join(out, man["verilog"]),
        "memory_bits": man["memory_bits_total"],
        "images": n,
        "rtl_equals_golden": sum(r["match"] for r in rows) / n,
        "rtl_accuracy": sum(r["prediction"] == r["label"] for r in rows) / n,
        "golden_accuracy": sum(r["golden"] == r["label"] for r in rows) / n,
        "cycles_per_image": {"mean": float(cyc.mean()), "min": int(cyc.min()),
                             "max": int(cyc.max())},
        "latency_us_at_100MHz": float(cyc.mean()) / REPORT_CLOCK_MHZ,
        "conv_integrate_utilisation": util_num / util_den if util_den else None,
        "events_per_image": float(np.mean([r["events"] for r in rows])),
        "synops_per_image": float(np.mean([r["synops"] for r in rows])),
        "simulator": "amaranth",
        "generate_s": round(gen_s, 3), "simulate_s": round(sim_s, 3),
        "mismatches": mismatches[:10],
        "per_image": rows,
    }
    atomic_write(os.path.join(out, "report.json"), json.dumps(report, indent=1))
    atomic_write(os.path.join(out, "report.md"), markdown(report))
    return report


def markdown(r):
    util = r["conv_integrate_utilisation"]
    lines = [
        f"# {r['network']} on P = {r['cores']} cores",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| coding, T, fire rule | {r['coding']}, {r['T']}, {r['fire_rule']} |",
        f"| membrane width | {r['membrane_bits']} bits (F = {r['F']}) |",
        f"| Θ, B field widths | {r['threshold_bits']}, {r['bias_bits']} bits |",
        f"| on-chip memory | {r['memory_bits']} bits |",
        f"| images simulated ({r['simulator']}) | {r['images']} |",
        f"| RTL equals golden (events, scores, prediction, cycles) | "
        f"{100 * r['rtl_equals_golden']:.1f} % |",
        f"| RTL accuracy on these images | {100 * r['rtl_accuracy']:.1f} % |",
        f"| cycles per image, integrate and fire phases; the input phase adds C·H·W + 3 "
        f"(mean, min, max) | {r['cycles_per_image']['mean']:.0f}, "
        f"{r['cycles_per_image']['min']}, {r['cycles_per_image']['max']} |",
        f"| latency at 100 MHz | {r['latency_us_at_100MHz']:.1f} µs |",
        f"| conv integrate utilisation | "
        f"{'n/a' if util is None else f'{100 * util:.1f} %'} |",
        f"| events, synaptic operations per image | {r['events_per_image']:.0f}, "
        f"{r['synops_per_image']:.0f} |",
        f"| generate, simulate | {r['generate_s']:.1f} s, {r['simulate_s']:.1f} s |",
        "",
    ]
    if r["mismatches"]:
        lines += ["## Mismatches", ""] + [f"- {m}" for m in r["mismatches"]] + [""]
    return "\n".join(lines)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m verif.run", description=__doc__.split("\n")[0])
    ap.add_argument("--net", default="digits", help="shipped network name or network file")
    ap.add_argument("--p", type=int, default=8, help="neuron cores P (1..32)")
    ap.add_argument("--images", type=cli.count(1), default=20,
                    help="held-out images to simulate")
    ap.add_argument("--out", default=None,
                    help="design and report folder (default build/NAME-pP); replaced whole, so "
                         "it must be absent, empty or an earlier design")
    a = ap.parse_args(argv)
    try:
        out = a.out or f"build/{build_config(a.net, a.p).network.name}-p{a.p}"
        cli.check_output(out)
        r = run(a.net, a.p, a.images, out)
    except (NetworkError, ConfigError, data.DatasetUnavailable, data.UnknownDataset,
            OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(markdown(r))
    print(f"run: report in {out}/report.md")
    return 0 if r["rtl_equals_golden"] == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
