"""PNG plots of the bench (matplotlib, Agg backend)."""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["raster", "vs_T", "synth_vs_P"]

_STYLE = {("ttfs", "round"): ("C0", "o", "TTFS round"),
          ("ttfs", "floor"): ("C2", "s", "TTFS floor"),
          ("rate", "-"): ("C3", "^", "rate (QCFS)")}


def raster(net, trace, path, title):
    """Spike raster: x = spike time k (TTFS) or step t (rate), y = neuron index (layers stacked,
    input at the bottom), one colour per layer."""
    fig, ax = plt.subplots(figsize=(7, 5.5))
    maps = [("input", trace.input_events, net.input_neurons)]
    for i, (layer, lt) in enumerate(zip(net.layers, trace.layers)):
        if layer.fires:
            maps.append((f"L{i + 1} {layer.kind}" + (" +pool" if layer.pool else ""), lt.events,
                         int(np.prod(layer.pooled_shape))))
    off = 0
    rng = np.random.default_rng(0)
    for j, (name, ev, size) in enumerate(maps):
        if len(ev):
            jitter = rng.uniform(-0.18, 0.18, len(ev))
            ax.scatter(ev[:, 1] + jitter, ev[:, 0] + off, s=3, color=f"C{j}",
                       label=f"{name} ({len(ev)} spikes / {size} neurons)")
        else:
            ax.scatter([], [], s=3, color=f"C{j}", label=f"{name} (no spikes)")
        ax.axhline(off - 0.5, color="0.85", lw=0.6)
        off += size
    # classifier: scores (no spikes)
    ax.set_xlabel("spike time k" if net.coding == "ttfs" else "time step t")
    ax.set_ylabel("neuron index (layers stacked, input first)")
    ax.set_xticks(range(net.T))
    ax.set_xlim(-0.5, net.T - 0.5)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right", markerscale=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def vs_T(results, key, path, ylabel, title, floats=None, pct=False):
    """One panel per data set: ``key`` of every variant against T, a line per coding/rule."""
    dss = [d for d in results if results[d]]
    if not dss:
        return False
    fig, axes = plt.subplots(1, len(dss), figsize=(5.2 * len(dss), 4), squeeze=False)
    for ax, ds in zip(axes[0], dss):
        rows = results[ds]
        for (coding, rule), (col, mk, label) in _STYLE.items():
            pts = sorted((r["T"], r[key]) for r in rows
                         if r["coding"] == coding and r["fire_rule"] == rule
                         and r.get(key) is not None)
            if pts:
                t, v = zip(*pts)
                v = [100 * a for a in v] if pct else v
                ax.plot(t, v, marker=mk, color=col, label=label)
        if floats and floats.get(ds) is not None:
            fv = floats[ds]
            ax.axhline(100 * fv if pct else fv, color="0.4", ls="--", lw=1, label="float ANN")
        ax.set_xlabel("time steps T")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{ds}: {title}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def synth_vs_P(points, path):
    """Area and Fmax against P from the synthesis sweep: [(P, {"target.metric": v})]."""
    if not points:
        return False
    area_keys = [("generic.cells", "generic cells"),
                 ("ecp5.placed_trellis_comb", "ECP5 TRELLIS_COMB (placed)"),
                 ("ice40.placed_icestorm_lc", "iCE40 LCs (placed)"),
                 ("sky130.logic_kge", "sky130 logic kGE")]
    fmax_keys = [("ecp5.fmax_mhz", "ECP5 Fmax"), ("ice40.fmax_mhz", "iCE40 Fmax"),
                 ("sky130.achieved_mhz_ideal", "sky130 STA, no wire"),
                 ("sky130.achieved_mhz_routed", "sky130 STA, routed est.")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    drawn = False
    for ax, keys, ylab, log in ((axes[0], area_keys, "area (cells, LUTs, kGE)", True),
                                (axes[1], fmax_keys, "MHz", False)):
        for k, label in keys:
            pts = sorted((p, d[k]) for p, d in points if d.get(k) is not None)
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, marker="o", label=label)
                drawn = True
        ax.set_xscale("log", base=2)
        ps = sorted({p for p, _ in points})
        ax.set_xticks(ps, [str(p) for p in ps])
        ax.set_xlabel("neuron cores P")
        ax.set_ylabel(ylab)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    axes[0].set_title("area against P", fontsize=10)
    axes[1].set_title("Fmax against P", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return drawn
