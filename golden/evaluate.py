"""Accuracy and activity of a shipped network: float ANN, dense integer model, event-driven SNN.

    python -m golden.evaluate --net digits --json            # one JSON object on stdout
    python -m golden.evaluate --net mnist --T 4 --coding rate --limit 200
    python -m golden.evaluate --net digits --table           # a readable table (the default)
    python -m golden.evaluate --sweep                        # build/accuracy_vs_T.md

Fields: ``ann_float_acc`` (the float ANN of ``nets/<base>.float.npz``, NumPy), ``ann_int_acc``
(``golden.dense``), ``snn_acc`` (``golden.event``), ``snn_equals_int`` (fraction of images whose
event-driven prediction AND scores equal the dense model's), ``spikes_per_image`` (events of all
layers including the input, from the event model's counts), ``synops_per_image``.

``--T``/``--coding`` select the variant file ``nets/<base>-<coding>-t<T>.json`` (the base file
itself when it already has that coding and T). Errors print one line and exit with status 2.
torch is never imported.
"""

import json
import os
import sys
import time

import numpy as np

from . import cli, contract, data, dense, floatnet, network
from .files import atomic_write
from .nets import NETS_DIR, resolve

__all__ = ["EvalError", "variant_path", "evaluate", "sweep", "SWEEP", "DEPTH_NETS", "depth_rows",
           "depth_markdown", "main"]

#: the accuracy-vs-T table: (coding, T) per base network
SWEEP = {"bases": ("digits", "mnist"),
         "points": (("ttfs", 2), ("ttfs", 4), ("ttfs", 6), ("ttfs", 8),
                    ("rate", 2), ("rate", 4), ("rate", 8))}
REPO = os.path.dirname(NETS_DIR)


class EvalError(Exception):
    """A one-line reason why the evaluation cannot run."""


def variant_path(name, T=None, coding=None):
    """File of ``name`` or of its (coding, T) variant ``nets/<base>-<coding>-t<T>.json``."""
    path = resolve(name)
    if T is None and coding is None:
        if not os.path.isfile(path):
            raise EvalError(f"unknown network {name!r}: {path} not found")
        return path
    base = os.path.basename(path)[:-5] if path.endswith(".json") else str(name)
    if os.path.isfile(path):
        try:
            net = network.load(path)
        except network.NetworkError as exc:
            raise EvalError(f"{path}: {exc}") from None
        coding = coding or net.coding
        T = T or net.T
        if (net.coding, net.T) == (coding, T):
            return path
    else:
        coding = coding or "ttfs"
        if T is None:
            raise EvalError(f"unknown network {name!r}: {path} not found")
    cand = os.path.join(os.path.dirname(path), f"{base}-{coding}-t{T}.json")
    if not os.path.isfile(cand):
        raise EvalError(f"no {coding} T={T} variant of {name!r}: {cand} not found")
    return cand


def _float_acc(path, dataset, x, y):
    try:
        layers = floatnet.load(path, dataset)
    except floatnet.FloatModelUnavailable:
        return None
    return float((floatnet.predict(layers, x) == y).mean())


CACHE_DIR = os.path.join(REPO, "build", "eval")


def _cache_file(path, split, limit, snn):
    import hashlib
    with open(path, "rb") as f:
        h = hashlib.sha256(f.read())
    for extra in ("event.py", "dense.py", "contract.py", "floatnet.py"):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), extra), "rb") as f:
            h.update(f.read())
    fp = floatnet_file(path)
    if fp:
        with open(fp, "rb") as f:
            h.update(f.read())
    h.update(f"{split}:{limit}:{snn}".encode())
    return os.path.join(CACHE_DIR, f"{os.path.basename(path)[:-5]}-{h.hexdigest()[:16]}.json")


def floatnet_file(path):
    try:
        return floatnet.float_path(path)
    except (floatnet.FloatModelUnavailable, data.UnknownDataset):
        return None


def _event_chunk(net, x, y, pred, scores, progress=False, desc=""):
    """Event-driven model over images: correct, same-as-dense, events, synops, per layer."""
    from . import event  # the event-driven model (imported lazily)
    t = {"correct": 0, "same": 0, "events": 0, "synops": 0,
         "layer_events": np.zeros(len(net.layers) + 1)}
    it = range(len(x))
    if progress:
        try:
            from tqdm import tqdm
            it = tqdm(it, desc=desc, leave=False, file=sys.stderr)
        except ImportError:
            pass
    for i in it:
        tr = event.run(net, x[i])
        t["correct"] += int(tr.prediction == y[i])
        t["same"] += int(tr.prediction == pred[i] and np.array_equal(tr.scores, scores[i]))
        t["events"] += tr.counts["events"]
        t["synops"] += tr.counts["synops"]
        t["layer_events"] += [len(tr.input_events)] + [len(l.events) for l in tr.layers]
    return t


def _event_job(args):
    path, x, y, pred, scores = args
    return _event_chunk(network.load(path), x, y, pred, scores)


def _event_tallies(net, path, x, y, pred, scores, jobs, progress, stem):
    """The event model's tallies, in ``jobs`` processes over contiguous image chunks."""
    if jobs <= 1 or len(x) < 2 * jobs:
        return _event_chunk(net, x, y, pred, scores, progress, f"{stem} snn")
    import multiprocessing
    cuts = np.linspace(0, len(x), 4 * jobs + 1).astype(int)
    work = [(path, x[a:b], y[a:b], pred[a:b], scores[a:b]) for a, b in zip(cuts, cuts[1:])]
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        parts = pool.imap(_event_job, work)
        if progress:
            try:
                from tqdm import tqdm
                parts = tqdm(parts, total=len(work), desc=f"{stem} snn ({jobs} jobs)",
                             leave=False, file=sys.stderr)
            except ImportError:
                pass
        parts = list(parts)
    return {k: sum(p[k] for p in parts) for k in parts[0]}


def evaluate(name, T=None, coding=None, split="heldout", limit=None, snn=True, progress=False,
             cache=False, jobs=1):
    """Evaluate a network on a data set split; returns the result dict (see the module doc).

    With ``cache``, a result stored in build/eval/ for the same network file, model sources,
    split and limit is reused (and a new one stored)."""
    path = variant_path(name, T, coding)
    if cache:
        cf = _cache_file(path, split, limit, snn)
        if os.path.isfile(cf):
            with open(cf) as f:
                return json.load(f)
        res = evaluate(path, None, None, split, limit, snn, progress, cache=False, jobs=jobs)
        atomic_write(cf, json.dumps(res))
        return res
    try:
        net = network.load(path)
    except network.NetworkError as exc:
        raise EvalError(str(exc)) from None
    stem = os.path.basename(path)[:-5]
    dataset = net.meta.get("dataset") or data.dataset_of(stem)
    try:  # images padded to the network's input (the input padding of its architecture)
        x, y = data.load(dataset, split, net.input_shape)
    except data.UnknownDataset as exc:
        raise EvalError(f"{stem}: {exc}") from None
    if limit:
        x, y = x[:limit], y[:limit]
    t0 = time.time()
    scores, pred = dense.predict(net, x)
    res = {"net": stem, "file": os.path.relpath(path, REPO) if path.startswith(REPO) else path,
           "coding": net.coding, "fire_rule": net.fire_rule, "T": net.T, "F": net.F,
           "split": split, "images": int(len(y)),
           "ann_float_acc": _float_acc(path, dataset, x, y),
           "ann_int_acc": float((pred == y).mean())}
    if snn:
        tallies = _event_tallies(net, path, x, y, pred, scores, jobs, progress, stem)
        n = max(1, len(x))
        res.update(snn_acc=tallies["correct"] / n, snn_equals_int=tallies["same"] / n,
                   spikes_per_image=tallies["events"] / n,
                   synops_per_image=tallies["synops"] / n,
                   spikes_per_layer=[round(float(v) / n, 2) for v in tallies["layer_events"]])
    res["trained"] = {k: net.meta.get("heldout", {}).get(k)
                      for k in ("float_acc", "cat_acc", "int_acc", "agreement")}
    res["seconds"] = round(time.time() - t0, 1)
    return res


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def table(res):
    rows = [("network", res["net"]), ("file", res["file"]),
            ("coding / rule / T / F", f"{res['coding']} / {res['fire_rule']} / {res['T']} / "
                                      f"{res['F']}"),
            ("images", f"{res['images']} ({res['split']})"),
            ("float ANN accuracy %", _pct(res["ann_float_acc"])),
            ("integer ANN accuracy %", _pct(res["ann_int_acc"]))]
    if "snn_acc" in res:
        rows += [("SNN accuracy %", _pct(res["snn_acc"])),
                 ("SNN == integer (class and scores) %", _pct(res["snn_equals_int"])),
                 ("spikes / image (incl. input)", f"{res['spikes_per_image']:.1f}"),
                 ("  per layer (input first)",
                  ", ".join(f"{v:g}" for v in res["spikes_per_layer"])),
                 ("synops / image", f"{res['synops_per_image']:.0f}")]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def sweep(out, split="heldout", limit=None, snn=True, progress=False, log=None, cache=True):
    """Write the accuracy-vs-T markdown table of every shipped variant; returns its text."""
    lines = ["# Accuracy vs. time steps T", "",
             f"Generated by `python -m golden.evaluate --sweep`; split `{split}`"
             + (f", first {limit} images" if limit else "") + ". Accuracies in %. "
             "Float ANN: the BN-folded float network (ReLU, max-pool) every variant was "
             "fine-tuned from. Integer: `golden.dense`. SNN: `golden.event`. "
             "SNN = int: images whose event-driven class and scores equal the dense model's.", ""]
    for base in SWEEP["bases"]:
        hdr = ("| coding | T | images | float ANN | integer ANN | SNN | SNN = int | "
               "spikes/image | synops/image |")
        body = []
        for coding, T in SWEEP["points"]:
            try:
                r = evaluate(base, T, coding, split, limit, snn, progress, cache=cache)
            except (EvalError, data.DatasetUnavailable) as exc:
                body.append(f"| {coding} | {T} | - | - | - | - | - | - | - |  <!-- {exc} -->")
                continue
            if log:
                log(json.dumps(r))
            body.append(f"| {coding} | {T} | {r['images']} | {_pct(r['ann_float_acc'])} | "
                        f"{_pct(r['ann_int_acc'])} | {_pct(r.get('snn_acc'))} | "
                        f"{_pct(r.get('snn_equals_int'))} | "
                        f"{r.get('spikes_per_image', 0):.0f} | "
                        f"{r.get('synops_per_image', 0):.0f} |")
        lines += [f"## {base}", "", hdr, "|" + "---|" * 9] + body + [""]
    text = "\n".join(lines)
    atomic_write(out, text)
    return text


#: the networks of the depth table: 2, 4, 8 and 13 conv layers on MNIST
DEPTH_NETS = ("mnist", "mnist-conv4", "mnist-vgg11", "mnist-vgg16")


#: plain conversions of the depth networks: ``python -m golden.train --net NAME --float-from
#: nets/NAME.float.npz --cat-epochs 0 --int-epochs 0 --out build/ptq/NAME.json``
PTQ_DIR = os.path.join(REPO, "build", "ptq")


def depth_rows(names=DEPTH_NETS, split="heldout", limit=None, batch=250, progress=False,
               ptq_dir=PTQ_DIR):
    """Accuracy against depth: per network the float ANN (``.float.npz``), plain conversion
    (lambda at the percentile, log weights, no CAT: ``<ptq_dir>/NAME.json`` through
    ``golden.dense`` when present, else the accuracy the training run recorded) and CAT (the
    shipped file through ``golden.dense``), and the fraction of neurons of each layer that
    fire."""
    rows = []
    for name in names:
        path = resolve(name)
        if not os.path.isfile(path):
            rows.append({"net": name, "missing": f"{os.path.relpath(path, REPO)} not found"})
            continue
        try:
            net = network.load(path)
        except network.NetworkError as exc:
            raise EvalError(f"{path}: {exc}") from None
        dataset = net.meta.get("dataset") or data.dataset_of(name)
        x, y = data.load(dataset, split, net.input_shape)
        if limit:
            x, y = x[:limit], y[:limit]
        pred, fired = [], np.zeros(len(net.layers) - 1)
        for i in _bar(range(0, len(x), batch), progress, f"{name} dense"):
            _, res = dense.run(net, x[i:i + batch])
            pred.append(np.argmax(res[-1].membrane, axis=1))
            for li, r in enumerate(res[:-1]):
                fired[li] += float(_fires(net, r.spikes).mean()) * len(r.spikes)
        ptq, ptq_source = net.meta.get("heldout", {}).get("ptq_acc"), "training record"
        ptq_path = os.path.join(ptq_dir, name + ".json")
        if os.path.isfile(ptq_path):
            ptq_net = network.load(ptq_path)
            ptq = float((np.concatenate([dense.predict(ptq_net, x[i:i + batch])[1]
                                         for i in range(0, len(x), batch)]) == y).mean())
            ptq_source = os.path.relpath(ptq_path, REPO)
        rows.append({"net": name, "images": int(len(y)), "ptq_source": ptq_source,
                     "conv_layers": sum(l.kind == "conv2d" for l in net.layers),
                     "T": net.T, "coding": net.coding,
                     "float_acc": _float_acc(path, dataset, x, y),
                     "ptq_acc": ptq,
                     "cat_acc": float((np.concatenate(pred) == y).mean()),
                     "firing": [round(float(v) / len(y), 4) for v in fired]})
    return rows


def _fires(net, spikes):
    return spikes < net.T if net.coding == "ttfs" else spikes > 0


def _bar(it, progress, desc):
    if progress:
        try:
            from tqdm import tqdm
            return tqdm(it, desc=desc, leave=False, file=sys.stderr)
        except ImportError:
            pass
    return it


def _loss(a, b):
    """a - b in points, or '-' when either is unknown."""
    return "-" if a is None or b is None else f"{100 * (a - b):+.2f}"


def depth_markdown(rows):
    """The depth table and the per-layer firing fractions of the deepest network."""
    L = ["| network | conv layers | T | images | float ANN % | plain conversion % | CAT % | "
         "conversion loss (float - plain) | CAT loss (float - CAT) |", "|" + "---|" * 9]
    for r in rows:
        if "missing" in r:
            L.append(f"| {r['net']} | - | - | - | - | - | - | - | - |  <!-- {r['missing']} -->")
            continue
        f, p, c = r["float_acc"], r["ptq_acc"], r["cat_acc"]
        L.append(f"| {r['net']} | {r['conv_layers']} | {r['T']} | {r['images']} | {_pct(f)} | "
                 f"{_pct(p)} | {_pct(c)} | {_loss(f, p)} | {_loss(f, c)} |")
    src = "; ".join(f"{r['net']}: {r['ptq_source']}" for r in rows if "ptq_source" in r)
    L += ["", "Plain conversion: the float ANN quantised to the contract after training (lambda "
          "at the 99.9th percentile of each layer's float activations, 5-bit log weights, no "
          "CAT), on the same held-out images; measured from " + (src or "-") + " ('-': "
          "neither a build/ptq/ file nor a training record).", ""]
    deep = [r for r in rows if "firing" in r]
    if deep:
        r = max(deep, key=lambda r: r["conv_layers"])
        L += [f"Fraction of neurons that fire, per layer of {r['net']} (before pooling; the "
              "classifier does not fire):", "",
              "| layer | " + " | ".join(str(i + 1) for i in range(len(r["firing"]))) + " |",
              "|" + "---|" * (len(r["firing"]) + 1),
              "| firing % | " + " | ".join(f"{100 * v:.1f}" for v in r["firing"]) + " |", ""]
    return "\n".join(L)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.evaluate",
                            description=__doc__.split("\n")[0])
    ap.add_argument("--net", help="network name (digits, mnist, a variant) or .json path")
    ap.add_argument("--T", type=cli.count(1, contract.T_MAX),
                    help="evaluate the variant with this many time steps")
    ap.add_argument("--coding", choices=contract.CODINGS, help="... and this coding")
    ap.add_argument("--split", default="heldout", choices=data.SPLITS)
    ap.add_argument("--limit", type=cli.count(1), help="only the first N images of the split")
    ap.add_argument("--no-snn", action="store_true", help="skip the (slow) event-driven model")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--table", action="store_true", help="print a readable table (default)")
    ap.add_argument("--depth", action="store_true",
                    help="print the accuracy-against-depth table (float, plain conversion, CAT)")
    ap.add_argument("--sweep", action="store_true",
                    help="write the accuracy-vs-T table of all variants (see --out)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "accuracy_vs_T.md"),
                    help="--sweep output file")
    ap.add_argument("--progress", action="store_true", help="progress bar on stderr")
    ap.add_argument("--jobs", type=cli.count(1, 64), default=1,
                    help="run the event-driven model in this many processes")
    ap.add_argument("--cache", action="store_true",
                    help="reuse/store results in build/eval/ (keyed by the network file, the "
                         "model sources, split and limit); --sweep always does")
    ap.add_argument("--no-cache", action="store_true", help="--sweep: recompute everything")
    args = ap.parse_args(argv)
    if args.sweep and (args.net or args.T or args.coding):
        ap.error("--sweep evaluates every shipped variant; it takes no --net, --T or --coding")
    if not (args.sweep or args.depth or args.net):
        ap.error("give --net NAME, --depth or --sweep")
    try:
        if args.sweep:
            cli.check_output(args.out)
            text = sweep(args.out, args.split, args.limit, not args.no_snn, args.progress,
                         cache=not args.no_cache)
            print(text)
            return 0
        if args.depth:
            print(depth_markdown(depth_rows(split=args.split, limit=args.limit,
                                            progress=args.progress)))
            return 0
        res = evaluate(args.net, args.T, args.coding, args.split, args.limit, not args.no_snn,
                       args.progress, cache=args.cache, jobs=args.jobs)
    except (EvalError, data.DatasetUnavailable, data.UnknownDataset, contract.ContractError,
            network.NetworkError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(json.dumps(res) if args.json else table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
