"""Processor regression (``make regress-processor``): ONE processor Verilog of a capacity preset,
generated and compiled once, runs every network that fits it under Verilator, its images in the
AXI4 memory model (``verif.proc_harness``), each inference checked against the golden model.

    python -m verif.proc_regress [--preset vgg16] [--nets digits,mnist,...] [--limit N]
                                 [--stall-every 4] [--latency 8] [--seed 1] [--shard i/N]
                                 [--out build/proc-regress]
    python -m verif.proc_regress --merge build/proc-regress/shard-*.json [--out ...]

Networks and images (``--nets``; default: the must-show of issue 13): the shipped networks on
their held-out splits (``digits``: all 360 images; ``mnist``: the first 200 of the 2,000;
``mnist-vgg16``: the first 20) and the VGG-16 hardware workload ``vgg16-shape-random``
(``golden.workload``; 3 held-out synthetic images; its predictions mean nothing). ``--limit``
sets one count for all. A network whose data set is absent is listed as skipped, with the
reason; a network that does not fit the preset is listed with the limit it exceeds.

Every image runs with the fixed-latency memory (``--latency``; cycles compared with the cycle
model when ``golden.processor_cycles`` exists, otherwise reported); one image in
``--stall-every`` (chosen by a hash of network and index, independent of the sharding) runs
again with random memory stalls, random register-bus pauses and stream back-pressure (seeded),
where everything but cycles is checked. All the networks run in one harness process (one memory
holding every image, no reset between networks).

Report (``<out>/summary.md`` and ``summary.json``), per network: images equal to golden, cycles
per image (CYCLES register, start to done), bytes read per image (BYTES), passes per layer
(``golden.capacity.plan``), harness speed in cycles/s (wall and CPU). Exit status 1 if any
inference differs from the golden model, 2 on bad arguments.
"""

import argparse
import json
import math
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from golden.files import atomic_write

from . import fast_harness as FH
from . import proc_harness as PH
from . import runner
from .regress import Progress, UsageError, drive, in_shard

FORMAT = 1
#: the must-show of issue 13 and its image counts (None: the whole held-out split)
DEFAULT_NETS = {"digits": None, "mnist": 200, "mnist-vgg16": 20, "vgg16-shape-random": 3}
#: random timing of the stall images: memory stall and bus pause probability, stream ready
STALL_RANGE = (0.1, 0.4)
READY_RANGE = (0.5, 0.9)


def stall_image(net, j, every):
    """Whether image j of ``net`` also runs under random timing (a fixed hash)."""
    return every > 0 and zlib.crc32(f"proc:{net}:{j}".encode()) % every == 0


def _network(name):
    from golden import network, workload
    if name == workload.NAME:
        workload.ensure(quiet=True)
    return network.load(name)


def _images(name, net, limit):
    """(x, labels or None, data description) of ``name``'s held-out images."""
    from golden import data, workload
    if name == workload.NAME:
        n = limit or DEFAULT_NETS[name]
        return (workload.synthetic_images(n, purpose="heldout"), None,
                f"{n} synthetic held-out images (golden.workload)")
    x, y = data.load(name, "heldout", input_shape=net.input_shape)
    n = min(len(x), limit or DEFAULT_NETS.get(name) or len(x))
    return x[:n], y[:n], f"{data.dataset_of(name)} held-out split, first {n}"


def _counts():
    return {"images": 0, "equal": 0, "hung": 0, "labelled": 0, "correct": 0,
            "golden_correct": 0, "cycles": 0, "cycles_min": None, "cycles_max": 0,
            "model_checked": 0, "bytes": 0, "sim_s": 0.0, "cpu_s": 0.0, "host_cycles": 0}


def _add(c, res):
    c["images"] += 1
    c["equal"] += res.ok
    c["hung"] += res.hung
    c["cycles"] += res.cycles
    c["host_cycles"] += res.host_cycles
    c["cycles_min"] = res.cycles if c["cycles_min"] is None else min(c["cycles_min"],
                                                                      res.cycles)
    c["cycles_max"] = max(c["cycles_max"], res.cycles)
    c["model_checked"] += res.model_cycles is not None
    c["bytes"] += res.bytes
    c["sim_s"] += res.sim_s
    c["cpu_s"] += res.cpu_s
    if res.label is not None:
        c["labelled"] += 1
        c["correct"] += int(res.prediction == res.label)
        c["golden_correct"] += int(res.golden == res.label)


def _timing(args, name, shard):
    rng = np.random.default_rng([args.seed, zlib.crc32(name.encode())])
    return PH.Timing(latency=args.latency, stall_prob=float(rng.uniform(*STALL_RANGE)),
                     ready_prob=float(rng.uniform(*READY_RANGE)),
                     seed=args.seed * 1000 + shard[0])


def run_shard(args, shard, checkpoint=None, harness=None):
    """Run one shard on ``harness`` (a ``ProcHarness``; default: the one of the preset
    ``args.preset``, built on first use); the shard's result dict."""
    from golden import data
    from golden.capacity import DoesNotFit, plan, preset
    capacity = harness.capacity if harness else preset(args.preset)
    t0 = time.monotonic()
    load0 = os.getloadavg()
    out = {"format": FORMAT, "shard": list(shard), "options": _options(args),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "host": {"cpus": os.cpu_count(), "load_start": [round(v, 2) for v in load0],
                    "verilator": FH.verilator_version()},
           "capacity": capacity.as_dict(), "networks": [], "complete": False}
    batches, items = [], {}
    for name in args.nets:
        item = {"name": name, "status": "run", "reason": ""}
        out["networks"].append(item)
        net = _network(name)
        try:
            layers = plan(net, capacity)
            x, y, source = _images(name, net, args.limit)
        except DoesNotFit as exc:
            item.update(status="does not fit", reason=str(exc))
            continue
        except data.DatasetUnavailable as exc:
            item.update(status="skipped", reason=str(exc))
            continue
        mine = [j for j in range(len(x)) if in_shard(j, shard)]
        stalls = [j for j in mine if stall_image(name, j, args.stall_every)]
        timing = _timing(args, name, shard)
        item.update(source=source, limit=len(x), fixed=_counts(), stall=_counts(),
                    failures=[], timing=timing.describe(),
                    passes=[lp.passes for lp in layers],
                    pass_limits=[lp.limit for lp in layers],
                    bytes_golden=_bytes_read(net, capacity))
        labels = None if y is None else y
        for js, t, mode in ((mine, PH.Timing(latency=args.latency), "fixed"),
                            (stalls, timing, "stall")):
            if js:
                b = PH.Batch(net, x[js], None if labels is None else labels[js], timing=t,
                             indices=js, name=f"{name} {mode}")
                batches.append(b)
                items[id(b)] = (item, mode)
    progress = Progress(sum(len(b.images) for b in batches), every=args.progress_every)

    def save(complete=False):
        out["host"]["load_end"] = [round(v, 2) for v in os.getloadavg()]
        out["wall_s"] = round(time.monotonic() - t0, 1)
        out["complete"] = complete
        if checkpoint is not None:
            atomic_write(checkpoint, json.dumps(out, indent=1) + "\n")

    try:
        for item in out["networks"]:
            if item["status"] != "run":
                progress.note(f"{item['name']}: {item['status']}: {item['reason']}")
        if batches:
            harness = harness or PH.ProcHarness(capacity, opt=args.opt)
            out["build_s"] = round(harness.build_s, 1)
            out["verilog_sha256"] = harness.verilog_sha256
            out["executable"] = str(harness.executable)
            done = 0
            for res in harness.check(batches):
                if isinstance(res, PH.RunTotals):
                    out["sim"] = {"cycles": res.cycles, "sim_s": round(res.sim_s, 2),
                                  "cpu_s": round(res.cpu_s, 2)}
                    continue
                item, mode = items[id(res.batch)]
                _add(item[mode], res)
                if not res.ok and len(item["failures"]) < 20:
                    item["failures"].append(res.message)
                progress.step(f"{item['name']} {mode}", res.ok)
                done += 1
                if done % 50 == 0:
                    save()
    finally:
        progress.close()
    save(complete=True)
    return out


def _bytes_read(net, capacity):
    from golden.image import bytes_read
    return bytes_read(net, capacity)


def _options(args):
    return {"preset": args.preset, "nets": list(args.nets), "limit": args.limit,
            "stall_every": args.stall_every, "latency": args.latency, "seed": args.seed}


# -- merge and report ----------------------------------------------------------------------------

def merge(shards):
    """One summary from shard dicts of the same options whose shards partition the images."""
    if not shards:
        raise UsageError("--merge: no shard files")
    opts = shards[0]["options"]
    for s in shards:
        if s.get("format") != FORMAT:
            raise UsageError(f"shard {s.get('shard')}: format {s.get('format')}, expected "
                             f"{FORMAT}")
        if s["options"] != opts:
            raise UsageError(f"shard {s['shard'][0]}/{s['shard'][1]} was run with other "
                             "options than the first (remove the shard files of older runs)")
    parts = [tuple(s["shard"]) for s in shards]
    period = math.lcm(*(n for _, n in parts))
    if any(sum(k % n == i for i, n in parts) != 1 for k in range(period)):
        raise UsageError(f"--merge: shards {', '.join(f'{i}/{n}' for i, n in parts)} do not "
                         "cover every image exactly once")
    nets = []
    for idx, first in enumerate(shards[0]["networks"]):
        item = {k: v for k, v in first.items() if k not in ("fixed", "stall", "failures")}
        if first["status"] == "run":
            for mode in ("fixed", "stall"):
                c = _counts()
                for s in shards:
                    o = s["networks"][idx][mode]
                    for k, v in o.items():
                        if k == "cycles_min":
                            c[k] = v if c[k] is None else (c[k] if v is None else min(c[k], v))
                        elif k == "cycles_max":
                            c[k] = max(c[k], v)
                        else:
                            c[k] += v
                item[mode] = c
            item["failures"] = [m for s in shards for m in s["networks"][idx]["failures"]][:20]
        nets.append(item)
    first = shards[0]
    summary = {"format": FORMAT, "options": opts, "date": first["date"],
               "shards": len(shards), "shard_ids": [f"{i}/{n}" for i, n in parts],
               "host": [s["host"] for s in shards], "capacity": first["capacity"],
               "verilog_sha256": sorted({s.get("verilog_sha256") for s in shards} - {None}),
               "build_s": sum(s.get("build_s", 0) for s in shards),
               "wall_s_sum": sum(s["wall_s"] for s in shards),
               "wall_s_max": max(s["wall_s"] for s in shards),
               "incomplete": [f"{s['shard'][0]}/{s['shard'][1]}" for s in shards
                              if not s["complete"]],
               "networks": nets}
    summary["passed"] = passed(nets) and not summary["incomplete"]
    return summary


def passed(nets):
    for i in nets:
        if i["status"] != "run":
            continue
        for mode in ("fixed", "stall"):
            if i[mode]["equal"] != i[mode]["images"]:
                return False
    return any(i["status"] == "run" and i["fixed"]["images"] for i in nets)


def _rate(cycles, secs):
    return "n/a" if not secs else f"{cycles / secs:,.0f}"


def _pct(num, den):
    return "n/a" if not den else f"{100 * num / den:.2f} %"


def _passes(item):
    return " ".join(str(p) for p in item["passes"])


def markdown(s):
    cap = s["capacity"]
    shas = s["verilog_sha256"]
    L = ["# Processor regression (direct Verilator harness, AXI4 memory model)", "",
         f"{s['date']}; preset `{cap['name']}` (P = {cap['cores']}, membrane "
         f"{cap['membrane_words']} words, weights {cap['weight_words']} words per core, AXI "
         f"{cap['data_bits']} bits); ONE Verilog for every network (sha256 "
         f"{', '.join(x[:16] for x in shas) or 'n/a'}), compiled "
         f"{'in %.0f s' % s['build_s'] if s['build_s'] else 'before (reused from build/proc)'}"
         f"; seed {s['options']['seed']}, memory latency {s['options']['latency']} cycles.",
         ""]
    if s["shards"] > 1:
        L += [f"Shards {', '.join(s['shard_ids'])}: wall {s['wall_s_sum']:.0f} s summed, "
              f"{s['wall_s_max']:.0f} s for the longest.", ""]
    else:
        L += [f"Wall time {s['wall_s_sum']:.0f} s.", ""]
    if s["incomplete"]:
        L += [f"**Incomplete**: shard(s) {', '.join(s['incomplete'])} stopped before the end.",
              ""]
    loads = [h["load_start"][0] for h in s["host"]] + [h["load_end"][0] for h in s["host"]]
    L += [f"Machine: {s['host'][0]['cpus']} CPUs, load average {min(loads):.1f} to "
          f"{max(loads):.1f}; {s['host'][0]['verilator']}. Cycles/s (wall): simulated cycles "
          "over the wall time spent clocking the model (register accesses included); "
          "(CPU): over the harness's CPU time, which other jobs on the machine do not change.",
          "",
          "Checked per inference: every event of every map (neuron, spike time) and the order "
          "each layer wrote them (the fire scan's), the scores, PREDICTION, BYTES (= "
          "golden.image.bytes_read and the bytes the memory served), EVENTS[l], STATUS, "
          "ERROR, irq and its clearing. Fixed: the fixed-latency memory; stall: random memory "
          "stalls, register-bus pauses and stream back-pressure on one image in "
          f"{s['options']['stall_every']}. Cycles: the CYCLES register (start to done).", "",
          "| network | images | equal golden | RTL accuracy | golden accuracy | stall equal | "
          "cycles/image (min..max) | cycle model | bytes/image | passes per layer | "
          "cycles/s (wall) | cycles/s (CPU) |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i in s["networks"]:
        if i["status"] != "run":
            L.append(f"| {i['name']} | {i['status']}: {i['reason']} | | | | | | | | | | |")
            continue
        f, st = i["fixed"], i["stall"]
        n = max(1, f["images"])
        model = ("equal" if f["model_checked"] == f["images"] and f["images"] else
                 "n/a (no golden.processor_cycles)" if not f["model_checked"] else
                 f"{f['model_checked']} checked")
        L.append(f"| {i['name']} | {i['source']} | {f['equal']} / {f['images']} | "
                 f"{_pct(f['correct'], f['labelled'])} | "
                 f"{_pct(f['golden_correct'], f['labelled'])} | {st['equal']} / "
                 f"{st['images']} | {f['cycles'] / n:,.0f} ({f['cycles_min'] or 0:,}.."
                 f"{f['cycles_max']:,}) | {model} | {f['bytes'] / n:,.0f} | {_passes(i)} | "
                 f"{_rate(f['host_cycles'] + st['host_cycles'], f['sim_s'] + st['sim_s'])} | "
                 f"{_rate(f['host_cycles'] + st['host_cycles'], f['cpu_s'] + st['cpu_s'])} |")
    fails = [m for i in s["networks"] for m in i.get("failures", [])]
    if fails:
        L += ["", "First differences:", ""] + [f"- {m}" for m in fails[:20]]
    L += ["", f"Overall: {'PASS' if s['passed'] else 'FAIL'}", ""]
    return "\n".join(L)


def _write_summary(summary, out):
    atomic_write(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    atomic_write(out / "summary.md", markdown(summary))
    print(markdown(summary))
    print(f"written {out / 'summary.md'} and {out / 'summary.json'}")


def _parser():
    ap = argparse.ArgumentParser(prog="python -m verif.proc_regress",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="vgg16", help="capacity preset (golden.capacity)")
    ap.add_argument("--nets", default=",".join(DEFAULT_NETS),
                    help="comma-separated networks (shipped ones, vgg16-shape-random, "
                         ".json files)")
    ap.add_argument("--limit", type=int, default=None,
                    help="first N held-out images of every network (default: "
                         + ", ".join(f"{k} {'all' if v is None else v}"
                                     for k, v in DEFAULT_NETS.items()) + ")")
    ap.add_argument("--stall-every", type=int, default=4,
                    help="one image in N also runs under random timing (0: none)")
    ap.add_argument("--latency", type=int, default=PH.DEFAULT_LATENCY,
                    help="memory latency in cycles, AR to first beat")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shard", default="0/1", help="i/N: run shard i of N (default 0/1)")
    ap.add_argument("--progress-every", type=int, default=20, help=argparse.SUPPRESS)
    ap.add_argument("--opt", default=FH.CXX_OPT, help=argparse.SUPPRESS)  # tests: -O0
    ap.add_argument("--out", default=str(runner.ROOT / "build" / "proc-regress"))
    ap.add_argument("--merge", nargs="+", metavar="SHARD_JSON",
                    help="merge shard files into the summary instead of running")
    return ap


def _validate(args):
    from golden import workload
    from golden.capacity import PRESETS
    from golden.nets import NETS_DIR
    if args.preset not in PRESETS:
        raise UsageError(f"--preset {args.preset!r}: choose from {', '.join(PRESETS)}")
    known = sorted(p.stem for p in Path(NETS_DIR).glob("*.json")) + [workload.NAME]
    args.nets = [n for n in args.nets.split(",") if n]
    # a network file (e.g. one brought in with golden.nir) runs on its data set's held-out split
    unknown = [n for n in args.nets
               if n not in known and not (n.endswith(".json") and Path(n).is_file())]
    if unknown or not args.nets:
        raise UsageError(f"--nets: unknown network(s) {', '.join(unknown) or '(none)'} "
                         f"(known: {', '.join(known)})")
    for name, low in (("limit", 1), ("stall_every", 0), ("latency", 1)):
        v = getattr(args, name)
        if v is not None and v < low:
            raise UsageError(f"--{name.replace('_', '-')} {v}: must be >= {low}")


def main(argv=None):
    return drive(_parser().parse_args(argv), prog="verif.proc_regress", merge=merge,
                 write_summary=_write_summary, validate=_validate, run_shard=run_shard,
                 shard_passed=lambda r: passed(r["networks"]))

if __name__ == "__main__":
    sys.exit(main())
