"""``--sweep``: area and clock against the core count P, ``build/synth/sweep.{json,md,png}``."""

import json
import os

from golden.files import atomic_path, atomic_write

from .flow import run_target
from .report import fmt, summary
from .tools import Skipped


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
            log(f"synth: sweep P={p} {t}: {summary(e)} ({e['seconds']} s)")
        rows.append(row)
    return rows, skipped


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
        md.append("| " + " | ".join(fmt(x) for x in (
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
