"""Long RTL regression (``make regress``) on the direct Verilator harness (``verif.fast_harness``).

    python -m verif.regress [--parts images,layers] [--nets digits,mnist-ttfs-t4,...]
                            [--limit N] [--bp-every 4] [--archs 50] [--arch-nets 4]
                            [--cores 8] [--seed 1] [--shard i/N] [--out build/regress]
    python -m verif.regress --merge build/regress/shard-*.json [--out build/regress]

Parts (``--parts``, default both):

``images``
    Every shipped network (``nets/*.json``) on the design ``python -m gen`` emits for it at P =
    ``--cores``, on every image of its data set's held-out split (digits: 360, mnist: 2,000,
    images 8000..9999): events, scores, prediction and the per-layer phase cycles are checked
    against the golden model at full throughput; one image in ``--bp-every`` (chosen by a hash of
    network and index) runs again under random back-pressure on the output streams and random
    gaps on the pixel stream (everything but cycles checked). Both codings run (a network the
    generator refuses is listed as not applicable, with the reason); a network whose data set
    is absent (``$SNN_DATASETS``) is listed as skipped, with the reason. RTL accuracy is
    printed next to the golden model's.
``layers``
    ``--archs`` random architectures (conv / pool / dense emphasis in turn, random geometry, P,
    T, fire rule and membrane adder), each built once; on each, ``--arch-nets`` random networks
    of that shape: the first from the memory images, the others written through the ``load``
    port (with random valid gaps). Each network runs 2 images at full throughput and 2 under
    back-pressure.

Sharding: ``--shard i/N`` (``make regress SHARD=i/N``) runs image positions j with j mod N = i
of every network, and architectures a with a mod N = i, so every shard gets the same mix of
networks; each shard writes ``<out>/shard-i-of-N.json``. ``--merge`` sums the shards (all N must
be present, with the same options) into ``<out>/summary.json`` and ``<out>/summary.md``
(``make regress-merge``). An unsharded run writes the summary directly. Exit status 1 if any
image differs from the golden model.

Speed: the harness reports the cycles it simulated, the wall time spent clocking the model and
the CPU time of the harness process in that time; cycles/s are given on both (the wall figure
depends on what else the machine runs: the load average is recorded).
"""

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np

from golden.files import atomic_write

from . import fast_harness as FH
from . import runner

FORMAT = 1
PARTS = ("images", "layers")
#: the cycle model's assumption (a host that never stalls) is what the full-throughput run checks
BP_PROB_RANGE = (0.4, 0.9)


class UsageError(Exception):
    """Bad command line or shard files (one line, exit status 2)."""


# -- work selection ------------------------------------------------------------------------------

def parse_shard(text):
    """'i/N' -> (i, N) with 0 <= i < N."""
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected i/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text!r}: need N >= 1 and 0 <= i < N")
    return i, n


def shipped_networks():
    """Names of nets/*.json, sorted (digits first, then mnist)."""
    from golden.nets import NETS_DIR
    return sorted(p.stem for p in Path(NETS_DIR).glob("*.json"))


def in_shard(j, shard):
    return j % shard[1] == shard[0]


def back_pressure_image(net, j, every):
    """Whether image j of ``net`` also runs under back-pressure (a fixed hash, independent of
    the sharding, so the same images are chosen however the work is split)."""
    return every > 0 and zlib.crc32(f"{net}:{j}".encode()) % every == 0


def _host_probs(seed, name):
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return tuple(float(v) for v in rng.uniform(*BP_PROB_RANGE, size=2))


# -- part 1: shipped networks on their held-out splits -----------------------------------------

def _network_item(name, args):
    from golden import data, network
    from rtl.config import ConfigError, HardwareConfig
    net = network.load(name)
    item = {"name": name, "coding": net.coding, "T": net.T, "fire_rule": net.fire_rule,
            "cores": args.cores, "status": "run", "reason": ""}
    try:
        cfg = HardwareConfig(net, cores=args.cores, trace=True)
    except ConfigError as exc:
        item.update(status="not applicable", reason=str(exc))
        return item, None, None, None
    try:
        x, y = data.load(name, "heldout")
    except data.DatasetUnavailable as exc:
        item.update(status="skipped", reason=str(exc))
        return item, None, None, None
    item["dataset"] = data.dataset_of(name)
    item["split"] = len(x)
    return item, cfg, x, y


def _counts():
    return {"images": 0, "equal": 0, "hung": 0, "labelled": 0, "correct": 0,
            "golden_correct": 0, "cycles": 0, "sim_s": 0.0, "cpu_s": 0.0}


def run_network(name, args, shard, progress):
    """Check the shard's images of one shipped network; the item of the summary."""
    item, cfg, x, y = _network_item(name, args)
    if cfg is None:
        progress.note(f"{name}: {item['status']}: {item['reason']}")
        return item
    n = len(x) if args.limit is None else min(args.limit, len(x))
    mine = [j for j in range(n) if in_shard(j, shard)]
    bp = [j for j in mine if back_pressure_image(name, j, args.bp_every)]
    ready_prob, valid_prob = _host_probs(args.seed, name)
    item.update(limit=n, full=_counts(), bp=_counts(), ready_prob=ready_prob,
                valid_prob=valid_prob, failures=[])
    t0 = time.monotonic()
    harness = FH.FastHarness(cfg)
    item["build_s"] = round(harness.build_s, 1)
    item["verilog_sha256"] = harness.manifest["verilog_sha256"]
    kept = {}   # golden expectations of the back-pressure images, computed once

    def full_expected(j):
        from verif.scoreboard import expect
        e = expect(cfg, x[mine[j]])
        if mine[j] in bp_set:
            kept[mine[j]] = e
        return e

    def bp_expected(j):
        from verif.scoreboard import expect
        return kept.pop(bp[j], None) or expect(cfg, x[bp[j]])

    bp_set = set(bp)
    steps = [FH.Images(x[mine], y[mine], indices=mine, expected=full_expected,
                       name=f"{name} full-throughput")]
    if bp:
        steps.append(FH.Images(x[bp], y[bp], indices=bp, expected=bp_expected,
                               ready_prob=ready_prob, valid_prob=valid_prob,
                               seed=args.seed * 1000 + shard[0],
                               name=f"{name} back-pressure"))
    for res in harness.check(steps):
        if isinstance(res, FH.RunTotals):
            item["wall_s"] = round(time.monotonic() - t0, 2)
            continue
        full = res.step is steps[0]
        c = item["full" if full else "bp"]
        c["images"] += 1
        c["equal"] += res.ok
        c["hung"] += res.hung
        c["cycles"] += res.cycles
        c["sim_s"] += res.sim_s
        c["cpu_s"] += res.cpu_s
        if res.label is not None:
            c["labelled"] += 1
            c["correct"] += int(res.prediction == res.label)
            c["golden_correct"] += int(res.golden == res.label)
        if not res.ok and len(item["failures"]) < 20:
            item["failures"].append(res.message)
        progress.step(f"{name} {'full' if full else 'back-pressure'}", res.ok)
    return item


# -- part 2: random architectures, networks loaded through the port ------------------------------

def run_arch(a, args, progress):
    from golden.randnet import random_images
    from rtl.config import HardwareConfig
    from verif import cases
    rng = np.random.default_rng([args.seed, 99, a])
    kind = cases.LAYER_TESTS[a % len(cases.LAYER_TESTS)]
    seed = int(rng.integers(0, 2**31))
    arng = np.random.default_rng([seed, 7])
    nets, P = cases.layer_network(kind, arng, siblings=args.arch_nets - 1)
    fields = cases.shared_widths(nets, P)
    adder = ("carry", "prefix")[a % 2]
    configs = [HardwareConfig(n, cores=P, trace=True, adder=adder, **fields) for n in nets]
    describe = cases._describe(nets[0], P) + f" adder={adder}"
    item = {"arch": a, "kind": kind, "seed": seed, "describe": describe,
            "networks": len(nets), "networks_equal": 0, "images": 0, "equal": 0,
            "cycles": 0, "sim_s": 0.0, "failures": []}
    t0 = time.monotonic()
    harness = FH.FastHarness(configs[0], opt=FH.SHORT_RUN_OPT)
    item["build_s"] = round(harness.build_s, 1)
    steps, owner = [], {}
    for j, cfg in enumerate(configs):
        if j:
            steps.append(FH.Load(cfg, valid_prob=0.8, seed=seed + j))
        for mode, n in (("full", 2), ("bp", 2)):
            images = random_images(arng, cfg.network.input_shape, n)
            rp, vp = (1.0, 1.0) if mode == "full" else \
                tuple(float(v) for v in arng.uniform(*BP_PROB_RANGE, size=2))
            step = FH.Images(images, ready_prob=rp, valid_prob=vp, seed=seed + 10 * j,
                             name=f"arch {a} net {j} {mode}")
            owner[id(step)] = j
            steps.append(step)
    equal = [0] * len(configs)
    for res in harness.check(steps):
        if isinstance(res, FH.RunTotals):
            continue
        item["images"] += 1
        item["equal"] += res.ok
        item["cycles"] += res.cycles
        item["sim_s"] += res.sim_s
        equal[owner[id(res.step)]] += res.ok
        if not res.ok and len(item["failures"]) < 5:
            item["failures"].append(f"seed {seed} {describe}: {res.message}")
    item["networks_equal"] = sum(e == 4 for e in equal)
    item["wall_s"] = round(time.monotonic() - t0, 2)
    progress.step(f"layers {kind}", item["equal"] == item["images"],
                  images=item["images"], line=True)
    return item


# -- progress ------------------------------------------------------------------------------------

class Progress:
    """A tqdm bar on a terminal, else one line per ``every`` images, per random architecture
    and per note."""

    def __init__(self, total, *, every=100, stream=sys.stderr):
        self.total, self.done, self.failed, self.every = total, 0, 0, every
        self.stream = stream
        self.bar = None
        self._last = 0
        if stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="img", file=stream, dynamic_ncols=True)

    def step(self, what, ok, images=1, line=False):
        """``images`` more done (``ok``: all equal); ``line``: print a line now (one per
        chunk of work) rather than every ``every`` images."""
        self.done += images
        self.failed += 0 if ok else 1
        if self.bar is not None:
            self.bar.set_description(what)
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(images)
        elif line or self.done - self._last >= self.every or self.done == self.total:
            self._last = self.done
            print(f"regress: {self.done}/{self.total} images ({what}), {self.failed} failed",
                  file=self.stream, flush=True)

    def note(self, text):
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(f"regress: {text}", file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _planned(args, shard, nets):
    from golden import data, network
    from rtl.config import ConfigError, HardwareConfig
    total = 0
    for name in (nets if "images" in args.parts else []):
        net = network.load(name)
        try:
            HardwareConfig(net, cores=args.cores)
            x, _ = data.load(name, "heldout")
        except (ConfigError, data.DatasetUnavailable):
            continue
        n = len(x) if args.limit is None else min(args.limit, len(x))
        mine = [j for j in range(n) if in_shard(j, shard)]
        total += len(mine) + sum(back_pressure_image(name, j, args.bp_every) for j in mine)
    if "layers" in args.parts:
        total += sum(4 * args.arch_nets for a in range(args.archs) if in_shard(a, shard))
    return total


# -- shard files, merge, report -----------------------------------------------------------------

def _options(args):
    return {"parts": list(args.parts), "nets": list(args.nets), "limit": args.limit,
            "bp_every": args.bp_every, "archs": args.archs, "arch_nets": args.arch_nets,
            "cores": args.cores, "seed": args.seed}


def run_shard(args, shard, checkpoint=None):
    """Run one shard; with ``checkpoint`` (a path), the results so far are written there after
    every network and architecture (``"complete": false`` until the end), so that a shard that
    is stopped keeps what it did."""
    nets = args.nets
    progress = Progress(_planned(args, shard, nets))
    load0 = os.getloadavg()
    t0 = time.monotonic()
    out = {"format": FORMAT, "shard": list(shard), "options": _options(args),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "host": {"cpus": os.cpu_count(), "load_start": [round(v, 2) for v in load0],
                    "verilator": FH.verilator_version()},
           "networks": [], "layers": [], "complete": False}

    def save(complete=False):
        out["host"]["load_end"] = [round(v, 2) for v in os.getloadavg()]
        out["wall_s"] = round(time.monotonic() - t0, 1)
        out["complete"] = complete
        if checkpoint is not None:
            atomic_write(checkpoint, json.dumps(out, indent=1) + "\n")

    try:
        if "images" in args.parts:
            for name in nets:
                out["networks"].append(run_network(name, args, shard, progress))
                save()
        if "layers" in args.parts:
            for a in range(args.archs):
                if in_shard(a, shard):
                    out["layers"].append(run_arch(a, args, progress))
                    save()
    finally:
        progress.close()
    save(complete=True)
    return out


def merge(shards):
    """One summary from shard dicts run with the same options whose shards i/N partition the
    work (N may differ: 0/2 with 1/4 and 3/4 is a partition)."""
    if not shards:
        raise UsageError("--merge: no shard files")
    opts = shards[0]["options"]
    for s in shards:
        if s.get("format") != FORMAT:
            raise UsageError(f"shard {s.get('shard')}: format {s.get('format')}, expected "
                             f"{FORMAT}")
        if s["options"] != opts:
            raise UsageError(f"shard {s['shard'][0]}/{s['shard'][1]} was run with other "
                             f"options than shard {shards[0]['shard'][0]}/"
                             f"{shards[0]['shard'][1]} (remove the shard files of older runs)")
    period = math.lcm(*(s["shard"][1] for s in shards))
    if period > 10_000:
        raise UsageError(f"--merge: shard counts {sorted({s['shard'][1] for s in shards})} "
                         "are too many to check")
    cover = [0] * period
    for s in shards:
        i, n = s["shard"]
        for r in range(i, period, n):
            cover[r] += 1
    twice = sorted({f"{s['shard'][0]}/{s['shard'][1]}" for s in shards
                    for r in range(s["shard"][0], period, s["shard"][1]) if cover[r] > 1})
    if twice:
        raise UsageError(f"--merge: shards {', '.join(twice)} overlap")
    if not all(cover):
        missing = [r for r in range(period) if not cover[r]]
        raise UsageError(f"--merge: no shard covers positions j with j mod {period} in "
                         f"{missing[:8]} (shard(s) missing)")
    order = sorted(shards, key=lambda s: (s["shard"][0] / s["shard"][1]))
    # (a file without the flag was written only at the end of its shard)
    incomplete = [f"{s['shard'][0]}/{s['shard'][1]}" for s in order
                  if not s.get("complete", True)]
    nets = []
    for name in opts["nets"] if "images" in opts["parts"] else []:
        items = [i for s in order for i in s["networks"] if i["name"] == name]
        if not items:
            continue  # no shard got to it (incomplete)
        first = items[0]
        item = {key: v for key, v in first.items()
                if key not in ("full", "bp", "failures", "wall_s", "build_s")}
        if first["status"] == "run":
            for part in ("full", "bp"):
                c = _counts()
                for i in items:
                    for key in c:
                        c[key] += i[part][key]
                item[part] = c
            item["failures"] = [f for i in items for f in i["failures"]][:20]
            item["wall_s"] = round(sum(i["wall_s"] for i in items), 1)
            item["build_s"] = round(sum(i["build_s"] for i in items), 1)
        nets.append(item)
    layers = sorted((i for s in order for i in s["layers"]), key=lambda i: i["arch"])
    passed = _passed(nets, layers, complete=True) and not incomplete
    return {"format": FORMAT, "shards": len(order), "options": opts,
            "shard_ids": [f"{s['shard'][0]}/{s['shard'][1]}" for s in order],
            "incomplete": incomplete, "date": max(s["date"] for s in order),
            "host": [s["host"] for s in order], "networks": nets, "layers": layers,
            "wall_s_sum": round(sum(s["wall_s"] for s in order), 1),
            "wall_s_max": max(s["wall_s"] for s in order),
            "passed": passed}


def _passed(nets, layers, *, complete):
    """Every image checked equal (``complete``: and every image of each split checked)."""
    for i in nets:
        if i["status"] == "run":
            for part in ("full", "bp"):
                if i[part]["equal"] != i[part]["images"]:
                    return False
            if complete and i["full"]["images"] != i["limit"]:
                return False
    return all(i["equal"] == i["images"] for i in layers)


def _pct(num, den):
    return "n/a" if not den else f"{100 * num / den:.2f} %"


def _rate(cycles, secs):
    return "n/a" if not secs else f"{cycles / secs:,.0f}"


def markdown(s):
    wall = (f"wall {s['wall_s_sum']:.0f} s" if s["shards"] == 1 else
            f"shards {', '.join(s['shard_ids'])}, wall {s['wall_s_sum']:.0f} s summed over "
            f"the shards, {s['wall_s_max']:.0f} s for the longest")
    builds = [i["build_s"] for i in s["networks"] + s["layers"] if i.get("build_s")]
    L = ["# RTL regression (direct Verilator harness)", "",
         f"{s['date']}; seed {s['options']['seed']}, P = {s['options']['cores']} for the "
         f"shipped networks; {wall} (of which {sum(builds):.0f} s compiling "
         f"{len(builds)} harness(es); the others were reused from build/fast).", ""]
    if s["incomplete"]:
        L += [f"**Incomplete**: shard(s) {', '.join(s['incomplete'])} stopped before the end; "
              "their counts so far are included.", ""]
    loads = [h["load_start"][0] for h in s["host"]] + [h["load_end"][0] for h in s["host"]]
    L += [f"Machine: {s['host'][0]['cpus']} CPUs, load average {min(loads):.1f} to "
          f"{max(loads):.1f} during the run; {s['host'][0]['verilator']}. Cycles/s (wall) is "
          "cycles over the wall time spent clocking the model; cycles/s (CPU) over the "
          "harness's CPU time, which other jobs on the machine do not change.", ""]
    nets = [i for i in s["networks"]]
    if nets:
        L += ["## Shipped networks, held-out splits", "",
              "Full throughput: events, scores, prediction and per-layer phase cycles checked. "
              f"Back-pressure: one image in {s['options']['bp_every']} again with random "
              "ready on scores/prediction/trace and random pixel gaps (cycles not checked).",
              "",
              "| network | T | rule | images equal golden | RTL accuracy | golden accuracy | "
              "back-pressure equal | cycles/image | cycles/s (wall) | cycles/s (CPU) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for i in nets:
            if i["status"] != "run":
                L.append(f"| {i['name']} | {i['T']} | {i['fire_rule']} | {i['status']}: "
                         f"{i['reason']} | | | | | | |")
                continue
            f, b = i["full"], i["bp"]
            L.append(f"| {i['name']} | {i['T']} | {i['fire_rule']} | {f['equal']} / "
                     f"{f['images']} | {_pct(f['correct'], f['labelled'])} | "
                     f"{_pct(f['golden_correct'], f['labelled'])} | {b['equal']} / "
                     f"{b['images']} | {f['cycles'] / max(1, f['images']):,.0f} | "
                     f"{_rate(f['cycles'] + b['cycles'], f['sim_s'] + b['sim_s'])} | "
                     f"{_rate(f['cycles'] + b['cycles'], f['cpu_s'] + b['cpu_s'])} |")
        fails = [m for i in nets for m in i.get("failures", [])]
        if fails:
            L += ["", "First differences:", ""] + [f"- {m}" for m in fails[:20]]
        L.append("")
    rl = s["layers"]
    if rl:
        L += ["## Random architectures (networks 2.. written through the load port)", "",
              f"{sum(i['equal'] == i['images'] for i in rl)}/{len(rl)} architectures passed; "
              f"{sum(i['networks_equal'] for i in rl)}/{sum(i['networks'] for i in rl)} random "
              f"networks; {sum(i['equal'] for i in rl)}/{sum(i['images'] for i in rl)} "
              "inferences", "",
              "| kind | architecture | networks | images | cycles | build s | wall s |",
              "|---|---|---|---|---|---|---|"]
        for i in rl:
            L.append(f"| {i['kind']} | {i['describe']} | {i['networks_equal']}/{i['networks']}"
                     f" | {i['equal']}/{i['images']} | {i['cycles']} | {i['build_s']} | "
                     f"{i['wall_s']} |")
        fails = [m for i in rl for m in i["failures"]]
        if fails:
            L += ["", "Failures:", ""] + [f"- {m}" for m in fails[:20]]
        L.append("")
    L += [f"Overall: {'PASS' if s['passed'] else 'FAIL'}", ""]
    return "\n".join(L)


def _write_summary(summary, out):
    atomic_write(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    atomic_write(out / "summary.md", markdown(summary))
    print(markdown(summary))
    print(f"written {out / 'summary.md'} and {out / 'summary.json'}")


def _parser():
    ap = argparse.ArgumentParser(prog="python -m verif.regress",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default=",".join(PARTS),
                    help=f"comma-separated parts to run ({', '.join(PARTS)})")
    ap.add_argument("--nets", default=None,
                    help="comma-separated shipped networks (default: every nets/*.json)")
    ap.add_argument("--limit", type=int, default=None,
                    help="first N images of each held-out split (default: all)")
    ap.add_argument("--bp-every", type=int, default=4,
                    help="one image in N also runs under back-pressure (0: none)")
    ap.add_argument("--archs", type=int, default=50, help="random architectures")
    ap.add_argument("--arch-nets", type=int, default=4,
                    help="random networks per architecture (the first built in, the others "
                         "loaded through the port)")
    ap.add_argument("--cores", type=int, default=8, help="P of the shipped networks' designs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shard", default="0/1", help="i/N: run shard i of N (default 0/1)")
    ap.add_argument("--out", default=str(runner.ROOT / "build" / "regress"))
    ap.add_argument("--merge", nargs="+", metavar="SHARD_JSON",
                    help="merge shard files into the summary instead of running")
    return ap


def _validate(args):
    parts = [p for p in args.parts.split(",") if p]
    bad = [p for p in parts if p not in PARTS]
    if bad or not parts:
        raise UsageError(f"--parts {args.parts!r}: choose from {', '.join(PARTS)}")
    args.parts = parts
    known = shipped_networks()
    if args.nets is None:
        args.nets = known
    else:
        args.nets = [n for n in args.nets.split(",") if n]
        unknown = [n for n in args.nets if n not in known]
        if unknown or not args.nets:
            raise UsageError(f"--nets: unknown network(s) {', '.join(unknown) or '(none)'} "
                             f"(shipped: {', '.join(known)})")
    for name in ("limit", "bp_every", "archs", "arch_nets", "cores"):
        v = getattr(args, name)
        low = 1 if name in ("limit", "arch_nets", "cores") else 0
        if v is not None and v < low:
            raise UsageError(f"--{name.replace('_', '-')} {v}: must be >= {low}")


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds: builds in progress are stopped, temp files go


def main(argv=None):
    args = _parser().parse_args(argv)
    if threading.current_thread() is not threading.main_thread():
        return _main(args)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(args):
    return drive(args, prog="verif.regress", merge=merge, write_summary=_write_summary,
                 validate=_validate, run_shard=run_shard,
                 shard_passed=lambda r: _passed(r["networks"], r["layers"], complete=False))


def drive(args, *, prog, merge, write_summary, validate, run_shard, shard_passed):
    """The command shared by the regressions (``verif.regress``, ``verif.proc_regress``):
    ``--merge`` shard files into the summary, or run one shard (``--shard i/N``; with N = 1 the
    summary is written at once). Bad arguments: one line ``prog: ...``, exit 2."""
    out = Path(args.out)
    try:
        if args.merge:
            shards = []
            for p in args.merge:
                try:
                    shards.append(json.loads(Path(p).read_text()))
                except (OSError, ValueError) as exc:
                    raise UsageError(f"--merge: cannot read {p}: {exc}") from None
            summary = merge(shards)
            write_summary(summary, out)
            return 0 if summary["passed"] else 1
        validate(args)
        shard = parse_shard(args.shard)
    except UsageError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    why = runner.sim_available("verilator")
    if why:
        print(f"{prog}: {why}", file=sys.stderr)
        return 2
    path = out / f"shard-{shard[0]}-of-{shard[1]}.json"
    result = run_shard(args, shard, checkpoint=None if shard[1] == 1 else path)
    if shard[1] == 1:
        summary = merge([result])
        write_summary(summary, out)
        return 0 if summary["passed"] else 1
    print(f"written {path}")
    ok = shard_passed(result)
    print(f"shard {shard[0]}/{shard[1]}: {'PASS' if ok else 'FAIL'}; merge all shards with "
          f"python -m {prog} --merge {out}/shard-*-of-{shard[1]}.json")
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
