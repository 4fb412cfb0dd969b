"""``--sweep``: area and clock against the core count P, ``build/synth/sweep.{json,md,png}``."""

import json
import os

from golden.files import atomic_path, atomic_write

from .flow import check_target, run_target
from .report import fmt, summary


def sweep(net, net_source, ps, targets, *, out_dir, settings, log=print):
    """Every target at every P; ``[{"cores": P, target: report entry}]``. The targets are
    checked first (unknown, or SKY130 without its Liberty file or OpenSTA: SynthError before
    any run)."""
    for t in targets:
        check_target(t, settings)
    rows = []
    for p in ps:
        row = {"cores": p}
        for t in targets:
            e = run_target(t, net, net_source, p, out_dir=out_dir, settings=settings)
            row[t] = e
            log(f"synth: sweep P={p} {t}: {summary(e)} ({e['seconds']} s)")
        rows.append(row)
    return rows


_SWEEP_KEYS = ("cells", "flip_flops", "memory_bits", "transistors", "device", "luts", "brams",
               "dsps", "fmax_mhz", "logic_um2", "logic_kge", "memory_um2_est", "total_um2_est",
               "seconds")


def sweep_figures(e):
    """The figures of one report entry that the sweep tabulates, flat and named for what
    they are (FPGA: ``luts`` is Yosys's LUT4 count before packing, ``placed_*`` nextpnr's;
    SKY130: slack and clock per wire model)."""
    out = {k: v for k, v in e.items() if k in _SWEEP_KEYS}
    for res, v in e.get("placed", {}).items():
        out[f"placed_{res.lower()}"] = v["used"]
    for model, m in e.get("sta", {}).get("wire_models", {}).items():
        out[f"worst_slack_ns_{model}"] = m["worst_slack_ns"]
        out[f"achieved_mhz_{model}"] = m["achieved_mhz"]
    return out


def write_sweep(out_dir, net, rows, targets):
    data = {"network": net.name, "targets": targets,
            "rows": [{"cores": r["cores"], **{t: sweep_figures(r[t]) for t in targets if t in r}}
                     for r in rows]}
    routed = next((r["sky130"]["sta"]["wire_models"]["routed"] for r in rows if "sky130" in r),
                  None)
    md = [f"# Synthesis sweep: {net.name}, area and clock against P", "",
          ("| P | generic cells | generic FFs | memory bits | sky130 logic kGE "
           "| sky130 SRAM ≥ um² | sky130 slack ns, no wire | sky130 slack ns, routed est. "
           "| sky130 MHz, no wire / routed est. | ECP5 device | ECP5 TRELLIS_COMB placed "
           "| ECP5 slices placed | ECP5 LUT4 before packing | ECP5 BRAM | ECP5 Fmax MHz |"),
          "|---|" + "---|" * 14]
    for r in data["rows"]:
        g, s, e = r.get("generic", {}), r.get("sky130", {}), r.get("ecp5", {})
        mhz = (f"{fmt(s['achieved_mhz_ideal'])} / {fmt(s['achieved_mhz_routed'])}"
               if s else "-")
        slack = [f"{s[k]:+.3f}" if k in s else "-"
                 for k in ("worst_slack_ns_ideal", "worst_slack_ns_routed")]
        md.append("| " + " | ".join(fmt(x) for x in (
            r["cores"], g.get("cells"), g.get("flip_flops"), g.get("memory_bits"),
            s.get("logic_kge"), round(s["memory_um2_est"]) if s else None, *slack, mhz,
            e.get("device"),
            e.get("placed_trellis_comb"), e.get("placed_slices"), e.get("luts"), e.get("brams"),
            e.get("fmax_mhz"))) + " |")
    if routed:
        md += ["", f"Routed estimate: {routed['assumption']}; no wire: pin loads only. SRAM "
               "area: a lower bound (density of the 2 KB OpenRAM macro; see "
               "constraints/README.md)."]
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
                        ("ecp5", "placed_trellis_comb", "ECP5 TRELLIS_COMB (placed)")):
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
    ax1.set_ylabel("cells / TRELLIS_COMB")
    ax1.set_title(f"{name}: area")
    ax1.legend(loc="upper left")
    for t, k, label in (("ecp5", "fmax_mhz", "ECP5 Fmax"),
                        ("sky130", "achieved_mhz_ideal", "sky130 STA, no wire"),
                        ("sky130", "achieved_mhz_routed", "sky130 STA, routed est.")):
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
