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

__all__ = ["run", "ttfs_vs_rate", "vgg_estimate"]


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


def vgg_estimate(results, override=None, T=8, P=8):
    """VGG-16 / CIFAR-10 energy with stated spike statistics: the firing fractions measured on
    our mnist TTFS T=8 network (digits when mnist is missing), the mean pre-pool fraction for
    VGG layers without a pool and the mean pooled-map fraction for layers with one, unless
    ``override`` (one fraction for every layer) is given."""
    if override is not None:
        pre = pooled = float(override)
        src = "given on the command line (--vgg-firing), every layer"
    else:
        pre = pooled = None
        for ds in ("mnist", "digits"):
            b = _base_ttfs(results.get(ds, []), ds)
            if b and b["firing"]["pre"]:
                fr = b["firing"]
                pre = float(np.mean(fr["pre"]))
                pools = [p for p, l in zip(fr["pooled"], fr["layers"]) if "pool" in l]
                pooled = float(np.mean(pools)) if pools else pre
                src = (f"measured on our `{b['net']}` network (TTFS T={b['T']}, dense model = "
                       f"SNN, {b['images']} held-out images; {ds.upper() if ds == 'mnist' else ds}"
                       " statistics transferred to CIFAR-10): per firing layer, fraction firing "
                       "before pooling " + ", ".join(f"{100 * v:.1f} %" for v in fr["pre"])
                       + "; of the pooled map " + ", ".join(f"{100 * v:.1f} %"
                                                           for v in fr["pooled"])
                       + f". Used: {100 * pre:.1f} % for VGG layers without a pool (and the "
                       f"hidden FC layers), {100 * pooled:.1f} % of the pooled map for the 5 "
                       "layers followed by a pool")
                break
        if pre is None:
            pre = pooled = 0.1
            src = "default 10 % (no measured network available)"
    main = E.vgg16_energy(E.vgg16_firing(pre, pooled), 1.0, T=T, P=P)
    sens = []
    for g in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5):
        v = E.vgg16_energy(g, 1.0, T=T, P=P)
        sens.append({"firing": g, "uj_45nm": v["total_uj_45nm"], "uj_28nm": v["total_uj_28nm"]})
    main.pop("layers")
    return {"firing_pre": pre, "firing_pooled": pooled, "firing_source": src,
            "input_firing": 1.0, "T": T, "P": P,
            "result": main, "sensitivity": sens, "cat_uj_28nm": E.CAT_VGG16_CIFAR10_UJ}


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
    # energy: VGG-16
    vgg = vgg_estimate(results, args.vgg_firing, T=8, P=args.p)
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
    res = {"depth": depth, "coding": coding, "args": vars(args), "notes": notes,
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
