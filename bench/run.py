"""The bench job: measure everything, write report.md, report.json and the plots."""

import json
import os
import subprocess
import sys
import time

import numpy as np

from golden import data

from . import coding as C
from . import energy as E
from . import measure as M
from . import plots, report

__all__ = ["run", "ttfs_vs_rate", "vgg_estimate", "ecp5_fmax", "headline"]


def _log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def ttfs_vs_rate(rows):
    """For every rate variant, the TTFS variant with the fewest spikes among those with equal or
    better accuracy (integer model on the full split, which the SNN equals bit for bit)."""
    ttfs = [r for r in rows if r["coding"] == "ttfs"]
    out = []
    for r in sorted((r for r in rows if r["coding"] == "rate"), key=lambda r: r["T"]):
        cands = [t for t in ttfs if t["int_acc"] >= r["int_acc"]]
        ok = bool(cands)
        if not cands:
            if not ttfs:
                continue
            cands = [max(ttfs, key=lambda t: (t["int_acc"], -t["spikes_dense"]))]
        t = min(cands, key=lambda t: t["spikes_dense"])
        out.append({"rate": r["net"], "ttfs": t["net"], "rate_T": r["T"], "ttfs_T": t["T"],
                    "rate_acc": r["int_acc"], "ttfs_acc": t["int_acc"],
                    "equal_or_better": ok,
                    "rate_spikes": r["spikes_dense"], "ttfs_spikes": t["spikes_dense"],
                    "spike_ratio": r["spikes_dense"] / max(t["spikes_dense"], 1e-9),
                    "synop_ratio": r["counts"]["synops"] / max(t["counts"]["synops"], 1e-9),
                    "energy_ratio": r["energy_nj_45nm"] / max(t["energy_nj_45nm"], 1e-9)})
    return out


def _base_ttfs(rows, name):
    for r in rows:
        if r["net"] == name:
            return r
    cands = [r for r in rows if r["coding"] == "ttfs" and r["fire_rule"] == "round"]
    return max(cands, key=lambda r: r["T"]) if cands else None


def vgg_estimate(images=4):
    """VGG-16 on 3x32x32 on the processor (``bench.energy.vgg16_processor``: the
    ``vgg16-shape-random`` workload on the ``vgg16`` capacity preset, per dataflow)."""
    v = E.vgg16_processor(images=images)
    v["assumptions"] = E.PROCESSOR_ASSUMPTIONS
    return v


def ecp5_fmax(sweep_pts, build, P):
    """(MHz, source) of the synthesised ECP5 design with P cores: the synthesis sweep
    (``build/synth/sweep.json``), else ``build/synth/report.json`` (``gen.synth``); (None,
    reason) when neither has it. Never a typed-in figure."""
    for p, d in sweep_pts:
        if p == P and d.get("ecp5.fmax_mhz"):
            return float(d["ecp5.fmax_mhz"]), f"build/synth/sweep.json (P = {P})"
    path = os.path.join(build, "synth", "report.json")
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, ValueError):
        rep = {}
    for key, d in sorted(rep.items()):
        if key.endswith(f"/p{P}/ecp5") and isinstance(d, dict) and d.get("fmax_mhz"):
            return float(d["fmax_mhz"]), f"build/synth/report.json ({key})"
    return None, f"no ECP5 synthesis of P = {P} in build/synth/ (run `make synth-sweep`)"


def headline(results, comparisons, vgg, sweep_pts, build, P):
    """The stable keys of report.json (issue 14): mnist cycles per image at P = 8 (cycle model,
    mean over the event-driven subset; the shipped ``mnist`` or the TTFS mnist network at least
    as accurate with the fewest cycles, named by ``mnist_cycles_net``), its latency at the
    synthesised ECP5 Fmax, VGG-16's
    on-chip energy at 28 nm (the lowest of the modelled dataflows) and the smallest TTFS / rate
    spike ratio at equal or better accuracy on mnist. A figure that was not measured is None,
    with the reason under ``headline_notes``."""
    out, notes = {}, {}
    rows = results.get("mnist", [])
    base = next((r for r in rows if r["net"] == "mnist"), None)
    # the shipped mnist network, or one at least as accurate that takes fewer cycles
    fast = [r for r in rows if base and r["coding"] == "ttfs" and r.get("cycles_model")
            and r["int_acc"] >= base["int_acc"]]
    best = min(fast, key=lambda r: r["cycles_model"]) if fast and P == 8 else None
    out["mnist_cycles_p8"] = best["cycles_model"] if best else None
    out["mnist_cycles_net"] = best["net"] if best else None
    if best is None:
        notes["mnist_cycles_p8"] = ("mnist not measured" if P == 8 else
                                    f"the bench ran at P = {P}")
    cycles = out["mnist_cycles_p8"]
    fmax, src = ecp5_fmax(sweep_pts, build, 8)
    out["mnist_latency_us_ecp5"] = cycles / fmax if cycles and fmax else None
    out["ecp5_fmax_mhz_p8"] = fmax
    notes["ecp5_fmax_mhz_p8"] = src
    d = vgg["dataflows"]
    out["vgg16_cifar10_uj_28nm"] = d[vgg["best"]]["uj"]["total"]
    out["vgg16_cifar10_dataflow"] = vgg["best"]
    out["vgg16_cifar10_uj_28nm_by_dataflow"] = {k: v["uj"]["total"] for k, v in d.items()}
    out["vgg16_cifar10_external_uj"] = vgg["external_uj"][0]
    ok = [c for c in comparisons.get("mnist", []) if c["equal_or_better"]]
    out["ttfs_vs_rate_spike_ratio_mnist"] = min(c["spike_ratio"] for c in ok) if ok else None
    if not ok:
        notes["ttfs_vs_rate_spike_ratio_mnist"] = "no TTFS mnist network as accurate as a " \
                                                  "rate-coded one"
    return out, notes


def run(args):
    t_start = time.perf_counter()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    build = os.path.join(M.REPO, "build")
    notes = []
    datasets = ["digits"] if args.quick else [d for d in args.datasets.split(",") if d]
    found, missing, bad = M.discover(args.nets or M.NETS_DIR, datasets=tuple(datasets))
    if missing:
        notes.append("networks not (yet) in nets/: " + ", ".join(missing))
    for stem, why in bad:
        notes.append(f"{stem}: not loadable ({why})")
    limits = {"digits": args.digits_events, "mnist": args.mnist_events}
    results, floats, float_src, traces, skipped = {}, {}, {}, {}, {}
    for ds in datasets:
        results[ds] = []
        if not found.get(ds):
            skipped[ds] = "no network files"
            notes.append(f"{ds}: no networks in nets/; skipped")
            continue
        try:
            x, y = data.load(ds, "heldout")
        except data.DatasetUnavailable as exc:
            skipped[ds] = str(exc).splitlines()[0]
            notes.append(f"{ds}: skipped, data set unavailable ({skipped[ds]})")
            continue
        base = next((t for t in found[ds] if t[0] == ds), found[ds][0])
        floats[ds], float_src[ds] = M.float_accuracy(base[1], base[2], ds, x, y)
        for stem, path, net in found[ds]:
            _log(f"{stem}: dense on {len(y)} images, event-driven on "
                 f"{min(limits.get(ds) or len(y), len(y))}")
            r, tr = M.evaluate_variant(stem, path, net, x, y, limits.get(ds), P=args.p,
                                       keep_trace=(stem == base[0]))
            results[ds].append(r)
            if tr is not None:
                traces[ds] = (net, tr, stem)
    # RTL (Amaranth simulator) on a subset of the base TTFS networks
    rtl = {}
    rtl_n = {"digits": args.rtl_images, "mnist": args.rtl_mnist}
    for ds in datasets:
        n = rtl_n.get(ds, 0)
        if not n or ds in skipped or not found.get(ds):
            continue
        cands = [t for t in found[ds] if t[2].coding == "ttfs"]
        if not args.rtl_variants:
            cands = [t for t in cands if t[0] == ds] or cands[:1]
        x, y = data.load(ds, "heldout")
        for stem, _path, net in cands:
            _log(f"{stem}: RTL (Amaranth simulator) on {n} images")
            try:
                rtl[stem] = M.rtl_check(net, x[:n], y[:n], P=args.p)
            except Exception as exc:  # noqa: BLE001 - report, do not die
                rtl[stem] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    # tool speed
    speed = {}
    if results.get("digits"):
        b = _base_ttfs(results["digits"], "digits")
        if b:
            speed["golden"] = {"net": b["net"], "dense_img_per_s": b["dense_img_per_s"],
                               "dense_images": b["images"],
                               "event_img_per_s": b["event_img_per_s"],
                               "event_images": b["event_images"]}
    for ds in datasets:
        b = _base_ttfs(results.get(ds, []), ds)
        if b:
            speed.setdefault("golden_by_net", {})[b["net"]] = {
                "dense_img_per_s": b["dense_img_per_s"], "event_img_per_s": b["event_img_per_s"]}
    dig = next((t for t in found.get("digits", []) if t[0] == "digits"), None)
    if dig:
        try:
            speed["verilog"] = M.verilog_speed(dig[2], os.path.join(out, "verilog-digits-p8"),
                                               P=args.p)
        except Exception as exc:  # noqa: BLE001
            speed["verilog"] = {"error": str(exc).splitlines()[0]}
    speed["amaranth"] = {k: {"cycles_per_s": v.get("cycles_per_s"), "sim_s": v.get("sim_s"),
                             "images": v.get("images"), "cycles": v.get("sim_cycles")}
                         for k, v in rtl.items() if "error" not in v}
    speed["hdl"] = {}
    if args.hdl_images and not args.quick:
        for sim in ("verilator", "icarus"):
            _log(f"{sim}: cocotb network test on {args.hdl_images} images")
            speed["hdl"][sim] = M.hdl_speed(sim, args.hdl_images)
    # synthesis
    sweep_path = os.path.join(build, "synth", "sweep.json")
    synth_note = None
    if not os.path.isfile(sweep_path) and args.with_synth:
        if os.path.isfile(os.path.join(M.REPO, "gen", "synth", "__init__.py")):
            _log("running the synthesis sweep (python -m gen.synth --sweep)")
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "gen.synth", "--sweep"], cwd=M.REPO,
                               capture_output=True, text=True)
            synth_note = (f"sweep run by the bench in {time.perf_counter() - t0:.0f} s, exit "
                          f"{p.returncode}")
        else:
            synth_note = "--with-synth given but gen/synth/ does not exist"
    sweep, synth_times = M.synth_results(build)
    if sweep is None and synth_note is None:
        synth_note = ("build/synth/sweep.json not present (run `make synth-sweep`, or the bench "
                      "with --with-synth)")
    # energy: VGG-16 on the processor, per dataflow
    _log("VGG-16 energy model (golden.workload's vgg16-shape-random on the vgg16 preset)")
    vgg = vgg_estimate(args.vgg_images)
    comparisons = {ds: ttfs_vs_rate(rows) for ds, rows in results.items() if rows}
    # plots
    figs = {}
    for ds, (net, tr, stem) in traces.items():
        p = os.path.join(out, f"raster_{stem}.png")
        plots.raster(net, tr, p, f"{stem}: spikes of held-out image 0 (T={net.T}, "
                                 f"{net.coding}); prediction {tr.prediction}")
        figs[f"raster_{ds}"] = os.path.basename(p)
    if plots.vs_T(results, "int_acc", os.path.join(out, "accuracy_vs_T.png"), "accuracy (%)",
                  "accuracy vs T (held-out)", floats, pct=True):
        figs["accuracy_vs_T"] = "accuracy_vs_T.png"
    if plots.vs_T(results, "spikes_dense", os.path.join(out, "spikes_vs_T.png"),
                  "spikes per inference (incl. input)", "spikes vs T"):
        figs["spikes_vs_T"] = "spikes_vs_T.png"
    pts = M.sweep_points(sweep) if sweep is not None else []
    if pts and plots.synth_vs_P(pts, os.path.join(out, "synth_vs_P.png")):
        figs["synth_vs_P"] = "synth_vs_P.png"
    depth = None
    if not args.quick and "mnist" in datasets and "mnist" not in skipped:
        _log("accuracy against depth (golden.evaluate.depth_rows)")
        depth = M.depth()
    coding = None
    if not args.quick and "mnist" in datasets and "mnist" not in skipped:
        _log("coding comparison: TTFS, rate (count scheme), time-stepped (bench.coding)")
        coding = C.measure(P=args.p, log=_log)
    head, head_notes = headline(results, comparisons, vgg, pts, build, args.p)
    res = {**head, "headline_notes": head_notes,
           "depth": depth, "coding": coding, "args": vars(args), "notes": notes,
           "missing_nets": missing, "skipped": skipped,
           "float_acc": floats, "float_source": float_src, "results": results, "rtl": rtl,
           "comparisons": comparisons, "vgg16": vgg, "speed": speed,
           "synth": {"sweep_present": sweep is not None, "note": synth_note,
                     "points": pts, "times": synth_times},
           "energy_assumptions": E.ASSUMPTIONS, "figures": figs}
    res["bench_seconds"] = time.perf_counter() - t_start
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(res, f, indent=1, default=_json_default)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(report.markdown(res))
    return res


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    return str(o)
