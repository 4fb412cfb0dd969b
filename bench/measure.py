"""Measurements of the bench: accuracy, work, cycles, RTL agreement and tool speed.

Everything here runs the project's own models and simulators; nothing is hard-coded.
"""

import glob
import json
import os
import subprocess
import sys
import time

import numpy as np

from golden import cycles as cycle_model
from golden import data, dense, event, floatnet, network
from golden.arch import split_name
from golden.nets import NETS_DIR, SHIPPED_ALL

from . import energy as E

__all__ = ["EXPECTED_NETS", "depth", "discover", "float_accuracy", "evaluate_variant", "rtl_check",
           "hdl_speed", "verilog_speed", "synth_results", "spikes_dense", "REPO", "NETS_DIR"]

REPO = os.path.dirname(NETS_DIR)
#: the shipped networks of sections 1-5 (one list, in golden.nets; the deep ones, whose
#: architecture is not their data set's, are in the depth section)
EXPECTED_NETS = [n for n in SHIPPED_ALL if split_name(n)[0] == data.dataset_of(n)]


def discover(nets_dir=NETS_DIR, datasets=("digits", "mnist")):
    """{dataset: [(stem, path, Network)]} of every loadable nets/<dataset>[-variant].json, plus
    (missing, bad):
    the expected networks that are absent and the files that failed to load (with reasons)."""
    found = {d: [] for d in datasets}
    bad = []
    stems = set()
    for path in sorted(glob.glob(os.path.join(nets_dir, "*.json"))):
        stem = os.path.basename(path)[:-5]
        try:
            ds = data.dataset_of(stem)
        except data.UnknownDataset:
            continue
        if ds not in found or split_name(stem)[0] not in (ds, ds + "-sparse"):
            continue  # deep networks (mnist-vgg16, ...) have their own section; <ds>-sparse:
            # the data set's network trained with golden.train --activity
        try:
            net = network.load(path)
        except (network.NetworkError, OSError, ValueError) as exc:
            bad.append((stem, str(exc).splitlines()[0]))
            continue
        stems.add(stem)
        found[ds].append((stem, path, net))
    for d in found:
        found[d].sort(key=lambda t: (t[2].coding, t[2].fire_rule, t[2].T, t[0]))
    missing = [n for n in EXPECTED_NETS if n not in stems and data.dataset_of(n) in found]
    return found, missing, bad


def float_accuracy(path, net, dataset, x, y):
    """(accuracy, source): the float ANN of ``.float.npz`` on (x, y), else the value recorded in
    the network's meta (labelled), else (None, reason)."""
    try:
        layers = floatnet.load(path, dataset)
        return float((floatnet.predict(layers, x) == y).mean()), "measured (.float.npz)"
    except (floatnet.FloatModelUnavailable, KeyError, ValueError, OSError):
        pass
    rec = (net.meta or {}).get("heldout", {}).get("float_acc")
    if rec is not None:
        return float(rec), "recorded in the net's meta"
    return None, "unavailable"


def spikes_dense(net, x, batch=200):
    """(predictions, scores, spikes per image incl. input, firing) from the dense model.

    The dense model is bit-exact with the event-driven one (tested in tests/golden), so the
    number of events of every layer equals: TTFS, neurons with k < T; rate, the sum of counts.
    ``firing``: per firing layer, the mean fraction of neurons that spike before pooling
    (``pre``) and of the pooled map (``pooled``); rate coding: mean count / T.
    """
    preds, scores, spikes = [], [], []
    fl = [i for i, l in enumerate(net.layers) if l.fires]
    pre = np.zeros(len(fl))
    pooled = np.zeros(len(fl))

    def frac(a, n):
        a = a.reshape(n, -1)
        return float((a < net.T).mean(1).sum()) if net.coding == "ttfs" else \
            float((a / net.T).mean(1).sum())

    for i in range(0, len(x), batch):
        xin, res = dense.run(net, x[i:i + batch])
        n = len(xin)
        if net.coding == "ttfs":
            s = (xin < net.T).reshape(n, -1).sum(1)
            for r in res:
                if r.pooled is not None:
                    s = s + (r.pooled < net.T).reshape(n, -1).sum(1)
        else:
            s = xin.reshape(n, -1).sum(1)
            for r in res:
                if r.pooled is not None:
                    s = s + r.pooled.reshape(n, -1).sum(1)
        for j, li in enumerate(fl):
            pre[j] += frac(res[li].spikes, n)
            pooled[j] += frac(res[li].pooled, n)
        sc = res[-1].membrane
        preds.append(np.argmax(sc, axis=1))
        scores.append(sc)
        spikes.append(s)
    m = max(1, len(x))
    firing = {"layers": [net.layers[i].kind + (" +pool" if net.layers[i].pool else "")
                         for i in fl],
              "pre": (pre / m).tolist(), "pooled": (pooled / m).tolist()}
    return np.concatenate(preds), np.concatenate(scores), np.concatenate(spikes), firing


def evaluate_variant(stem, path, net, x, y, event_limit, P=8, keep_trace=False):
    """Accuracy (dense, full split), event-driven work on a subset, cycle model at P."""
    t0 = time.perf_counter()
    pred, scores, spikes, firing = spikes_dense(net, x)
    dense_s = time.perf_counter() - t0
    res = {"net": stem, "file": os.path.relpath(path, REPO), "coding": net.coding,
           "fire_rule": net.fire_rule if net.coding == "ttfs" else "-", "T": net.T, "F": net.F,
           "images": int(len(y)), "int_acc": float((pred == y).mean()),
           "spikes_dense": float(spikes.mean()), "dense_s": dense_s,
           "dense_img_per_s": len(y) / dense_s if dense_s > 0 else None,
           "macs": E.ann_macs(net), "membrane_bits": net.membrane_bits, "firing": firing}
    n = min(event_limit, len(y)) if event_limit else len(y)
    keys = list(event.COUNT_KEYS) + ["events", "input_events"]
    tot = {k: 0.0 for k in keys}
    per_layer = [{k: 0.0 for k in event.COUNT_KEYS} for _ in net.layers]
    correct = same = spike_same = 0
    cyc = []
    trace0 = None
    t0 = time.perf_counter()
    for i in range(n):
        tr = event.run(net, x[i])
        if keep_trace and i == 0:
            trace0 = tr
        correct += int(tr.prediction == y[i])
        same += int(tr.prediction == pred[i] and np.array_equal(tr.scores, scores[i]))
        spike_same += int(tr.counts["events"] == spikes[i])
        for k in keys:
            tot[k] += tr.counts[k]
        for pl, lt in zip(per_layer, tr.layers):
            for k in event.COUNT_KEYS:
                pl[k] += lt.counts[k]
        cyc.append(sum(c.total for c in cycle_model.network_cycles(net, tr, P)))
    ev_s = time.perf_counter() - t0
    nn_ = max(1, n)
    res.update(event_images=n, snn_acc=correct / nn_, snn_equals_int=same / nn_,
               spikes_event_equals_dense=spike_same / nn_,
               event_s=ev_s, event_img_per_s=n / ev_s if ev_s > 0 else None,
               counts={k: v / nn_ for k, v in tot.items()},
               layer_counts=[{k: v / nn_ for k, v in pl.items()} for pl in per_layer],
               cycles_model=float(np.mean(cyc)) if cyc else None)
    res["input_firing_fraction"] = res["counts"]["input_events"] / net.input_neurons / \
        (net.T if net.coding == "rate" else 1)
    mems = E.memories_of(net, P)
    res["param_reads"] = E.param_reads(E.net_geoms(net), P)
    en = E.snn_energy(res["counts"], mems, net.T, net.membrane_bits, net.input_neurons,
                      res["param_reads"])
    res.update(memories=mems, energy_pj_45nm=en,
               energy_nj_45nm=en["total"] * 1e-3,
               energy_nj_28nm=en["total"] * E.TECH_SCALE_28NM * 1e-3,
               ann_compute_nj_45nm=E.ann_energy(res["macs"]) * 1e-3,
               snn_accumulate_nj_45nm=en["accumulate"] * 1e-3)
    return res, trace0


def rtl_check(net, x, y, P=8):
    """Run images through the Amaranth simulation of the generated accelerator and compare every
    event, score, prediction and phase cycle count with the golden model."""
    from gen.verilog import build_config
    from verif import scoreboard as sb
    from verif.amaranth_sim import run_inference

    cfg = build_config(net, P)
    t0 = time.perf_counter()
    obs = run_inference(cfg, x)
    sim_s = time.perf_counter() - t0
    match = correct = 0
    cycles = []
    model = []
    fails = []
    for i, (img, lab, o) in enumerate(zip(x, y, obs)):
        exp = sb.expect(cfg, img)
        try:
            sb.check(exp, o, cycles=True)
            match += 1
        except sb.Mismatch as exc:
            fails.append(f"image {i}: {str(exc).splitlines()[0]}")
        correct += int(o.prediction == lab)
        cycles.append(sum((a or 0) + (b or 0) for a, b in sb.phase_durations(o)))
        model.append(sum(a + b for a, b in exp.phase_cycles))
    total_cycles = obs[-1].cycles if obs else 0  # the bench's cycle counter runs on
    n = max(1, len(x))
    return {"images": len(x), "equals_golden": match / n, "rtl_acc": correct / n,
            "cycles_rtl": float(np.mean(cycles)) if cycles else None,
            "cycles_model": float(np.mean(model)) if model else None,
            "cycles_equal": int(sum(a == b for a, b in zip(cycles, model))),
            "sim_s": sim_s, "sim_cycles": int(total_cycles),
            "cycles_per_s": total_cycles / sim_s if sim_s > 0 else None, "mismatches": fails[:5]}


def verilog_speed(net, out_dir, P=8):
    """Seconds to build the config and write the Verilog, memory images and manifest."""
    from gen.verilog import build_config, write_design
    t0 = time.perf_counter()
    cfg = build_config(net, P)
    man = write_design(cfg, out_dir)
    return {"seconds": time.perf_counter() - t0, "verilog": os.path.join(out_dir, man["verilog"]),
            "memory_bits": man.get("memory_bits_total")}


def hdl_speed(sim, images, timeout_s=900):
    """Run the colleague's cocotb network test (digits, P = 8) under ``sim`` in a subprocess;
    returns measurements or {"error": reason}."""
    code = (
        "import json,sys\n"
        "from verif import cases\n"
        f"r=cases.run('network',{sim!r},images={int(images)})\n"
        "print('BENCH-JSON '+json.dumps({'passed':r.passed,'message':r.message,'build_s':r.build_s,"
        "'wall_s':r.wall_s,'cycles':r.cycles,'stats':r.stats}))\n")
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    try:
        import verif.cases  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return {"error": f"verif.cases not importable: {str(exc).splitlines()[0]}"}
    try:
        p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s} s"}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            r = json.loads(line[len("BENCH-JSON "):])
            st = r.get("stats") or {}
            n = st.get("images") or 0
            w = st.get("wall_s") or 0.0
            cyc = st.get("cycles") or r.get("cycles") or 0
            return {"passed": r["passed"], "message": r["message"], "images": n,
                    "build_s": r["build_s"], "run_s": w, "cycles": cyc,
                    "cycles_per_s": cyc / w if w else None,
                    "s_per_image": w / n if n else None,
                    "passed_images": st.get("passed_images")}
    tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {p.returncode}: {tail[0][:200]}"}


def synth_results(build_dir):
    """(sweep, [(file, seconds-ish fields)]) from build/synth/ if present."""
    sdir = os.path.join(build_dir, "synth")
    sweep = None
    times = []
    sp = os.path.join(sdir, "sweep.json")
    if os.path.isfile(sp):
        try:
            with open(sp) as f:
                sweep = json.load(f)
        except (OSError, ValueError):
            sweep = None
    for p in sorted(glob.glob(os.path.join(sdir, "*.json"))):
        try:
            with open(p) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        found = {}
        _find_times(doc, "", found)
        if found:
            times.append((os.path.relpath(p, build_dir), found))
    return sweep, times


def _find_times(obj, prefix, out, depth=0):
    if depth > 4 or len(out) > 24:
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = f"{prefix}{k}"
            if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                    k.endswith("_s") or "seconds" in k or k in ("time", "elapsed", "runtime")):
                out[key] = v
            elif isinstance(v, (dict, list)):
                _find_times(v, key + ".", out, depth + 1)
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:16]):
            _find_times(v, f"{prefix}{i}.", out, depth + 1)


def sweep_points(sweep):
    """[(P, {"target.metric": value})] of ``build/synth/sweep.json`` (``gen.synth.write_sweep``:
    ``{"rows": [{"cores": P, "<target>": {metric: value}}]}``); any list of objects with a
    ``cores``/``P`` field is accepted."""
    rows = sweep.get("rows") if isinstance(sweep, dict) else sweep
    out = []
    for r in rows or []:
        if not isinstance(r, dict):
            continue
        p = next((r[k] for k in ("cores", "P", "p") if isinstance(r.get(k), int)), None)
        if p is None:
            continue
        flat = {}
        _flatten({k: v for k, v in r.items() if k not in ("cores", "P", "p")}, "", flat)
        out.append((p, flat))
    return sorted(out, key=lambda t: t[0])


def _flatten(o, prefix, out):
    for k, v in o.items():
        if isinstance(v, dict):
            _flatten(v, f"{prefix}{k}.", out)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = v


def depth(event_images=10, nets=None):
    """The accuracy-against-depth rows of ``golden.evaluate.depth_rows`` (every held-out image)
    and the golden models' speed on the deepest network present, on one core (one BLAS
    thread): dense over the held-out split, event-driven over its first ``event_images``."""
    from threadpoolctl import threadpool_limits

    from golden.evaluate import DEPTH_NETS, depth_rows
    with threadpool_limits(1):
        rows = depth_rows(nets or DEPTH_NETS)
        present = [r for r in rows if "missing" not in r]
        if not present:
            return {"rows": rows, "speed": None}
        deepest = max(present, key=lambda r: r["conv_layers"])
        net = network.load(os.path.join(NETS_DIR, deepest["net"] + ".json"))
        x, _ = data.load(net.meta.get("dataset") or deepest["net"], "heldout", net.input_shape)
        t0 = time.perf_counter()
        scores = np.concatenate([dense.predict(net, x[i:i + 250])[0]
                                 for i in range(0, len(x), 250)])
        t_dense = time.perf_counter() - t0
        n = min(event_images, len(x))
        t0 = time.perf_counter()
        same = sum(np.array_equal(event.run(net, x[i]).scores, scores[i]) for i in range(n))
        t_event = time.perf_counter() - t0
    return {"rows": rows, "speed": {"net": deepest["net"], "dense_images": int(len(x)),
                                    "dense_img_per_s": len(x) / t_dense, "event_images": n,
                                    "event_img_per_s": n / t_event, "event_equals_dense": same}}
