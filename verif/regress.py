"""Long regression (``make regress``): hundreds of random layers and 1,000 real images.

    python -m verif.regress [--archs 50] [--nets 4] [--images 1000] [--sim verilator]
                            [--icarus-images 20] [--seed 1] [--out build/regress]

1. Random layers: ``--archs`` random architectures (conv / pool / dense emphasis in turn, random
   geometry, P, T and fire rule), each compiled once; on each, ``--nets`` random networks of that
   shape: the first from the memory images, the others written through the host ``load`` port.
   Each network runs 2 images at full throughput (events, scores, prediction and per-layer phase
   cycles checked) and 2 with random back-pressure (everything but cycles).
2. Real images: ``--images`` images of the shipped ``digits`` network (its 360 held-out images
   first, then the training split if more are asked for; accuracy is reported on each split)
   under Verilator, and ``--icarus-images`` under Icarus, for the speed comparison.

Writes ``<out>/summary.md`` and ``<out>/summary.json``: pass counts, RTL accuracy, cycles/s and
s/image per simulator. Exits 1 if anything failed.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import cases, runner

KINDS = cases.LAYER_TESTS


def _random_layers(args, log):
    from golden.network import dumps
    out = []
    rng = np.random.default_rng([args.seed, 99])
    for a in range(args.archs):
        kind = KINDS[a % len(KINDS)]
        seed = int(rng.integers(0, 2**31))
        arng = np.random.default_rng([seed, 7])
        nets, P = cases.layer_network(kind, arng, siblings=args.nets - 1)
        fields = cases.shared_widths(nets, P)
        adder = ("carry", "prefix")[a % 2]
        cfg, text, _, _ = cases._accel_design(f"regress-{kind}", nets[0], P, write=False,
                                              adder=adder, **fields)
        # one build directory for every architecture: Verilator's make then recompiles only the
        # model, not its run-time library
        design = "regress-arch"
        net_path = str(runner.BUILD / design / f"arch{a:03d}-net0.json")
        runner.write_if_changed(net_path, dumps(nets[0]))
        runs = []
        for j, net in enumerate(nets):
            r2 = cases._runs_layer(arng, net, 2, 2)
            for r in r2:
                r["name"] = f"net{j}-{r['name']}"
            if j:
                p = runner.BUILD / design / f"arch{a:03d}-net{j}.json"
                runner.write_if_changed(p, dumps(net))
                r2[0]["load"] = str(p)
            runs += r2
        case = {"net": net_path, "cores": P, **fields, "adder": adder, "runs": runs,
                "keep_going": True, "describe": cases._describe(nets[0], P) + f" adder={adder}"}
        res = runner.run_cocotb(test=f"arch{a:03d}-{kind}", sim=args.sim, seed=seed,
                                design=design, verilog=text, toplevel="snn_accel",
                                module="verif.tb_accel", testcase="accelerator", case=case,
                                fast_build=True)
        nets_ok = sum(1 for j in range(len(nets))
                      if all(r["passed"] == r["images"] for r in res.stats.get("runs", [])
                             if r["name"].startswith(f"net{j}-")) and
                      len([r for r in res.stats.get("runs", [])
                           if r["name"].startswith(f"net{j}-")]) == 2)
        item = {"arch": a, "kind": kind, "seed": seed, "describe": case["describe"],
                "passed": res.passed, "networks": len(nets), "networks_passed": nets_ok,
                "images": res.stats.get("images", 0),
                "images_passed": res.stats.get("passed_images", 0),
                "cycles": res.cycles, "wall_s": round(res.wall_s, 2),
                "build_s": round(res.build_s, 2), "message": "" if res.passed else res.message}
        log(f"[{a + 1}/{args.archs}] {'PASS' if res.passed else 'FAIL'} {kind:<12} "
            f"{case['describe']} nets {nets_ok}/{len(nets)} wall {res.wall_s:.1f}s"
            + ("" if res.passed else f"\n    {res.message}"))
        out.append(item)
    return out


def _images(args, sim, n, log):
    t0 = time.monotonic()
    res = cases.run("network", sim, seed=args.seed, images=n, keep_going=True)
    wall = time.monotonic() - t0 - res.build_s
    st = res.stats
    run_wall = st.get("wall_s") or wall
    item = {"sim": sim, "images": st.get("images", 0), "passed": st.get("passed_images", 0),
            "correct": st.get("correct", 0), "labelled": st.get("labelled", 0),
            "accuracy": (st["correct"] / st["labelled"]) if st.get("labelled") else None,
            "cycles": res.cycles, "wall_s": round(run_wall, 2), "build_s": round(res.build_s, 2),
            "cycles_per_s": round(res.cycles / run_wall) if run_wall else None,
            "s_per_image": round(run_wall / max(1, st.get("images", 0)), 4),
            "ok": res.passed, "message": "" if res.passed else res.message,
            "failures": st.get("failures", [])[:5],
            "splits": {r["name"]: {"images": r["images"], "passed": r["passed"],
                                   "accuracy": r["correct"] / r["labelled"]
                                   if r["labelled"] else None}
                       for r in st.get("runs", [])}}
    log(f"network {sim}: {item['passed']}/{item['images']} images match the golden model, "
        f"accuracy {item['accuracy']}, {item['cycles_per_s']} cycles/s, "
        f"{item['s_per_image']} s/image" + ("" if res.passed else f"\n    {res.message}"))
    return item


def _markdown(s):
    L = ["# RTL regression (cocotb)", "",
         f"seed {s['seed']}, {s['date']}, total wall {s['wall_s']:.0f} s", ""]
    rl = s["random_layers"]
    if rl:
        nets = sum(i["networks"] for i in rl)
        nets_ok = sum(i["networks_passed"] for i in rl)
        L += ["## Random layers", "",
              f"{sum(i['passed'] for i in rl)}/{len(rl)} architectures passed; "
              f"{nets_ok}/{nets} random networks; "
              f"{sum(i['images_passed'] for i in rl)}/{sum(i['images'] for i in rl)} "
              f"inferences (simulator {s['sim']})", "",
              "| kind | architecture | networks | images | cycles | wall s |",
              "|---|---|---|---|---|---|"]
        for i in rl:
            L.append(f"| {i['kind']} | {i['describe']} | {i['networks_passed']}/{i['networks']}"
                     f" | {i['images_passed']}/{i['images']} | {i['cycles']} | {i['wall_s']} |")
        fails = [i for i in rl if not i["passed"]]
        if fails:
            L += ["", "Failures:", ""] + [f"- seed {i['seed']} {i['describe']}: {i['message']}"
                                          for i in fails]
        L.append("")
    L += ["## Real images (digits network)", "",
          "| simulator | images | match golden | RTL accuracy | cycles | cycles/s | s/image |",
          "|---|---|---|---|---|---|---|"]
    for i in s["images"]:
        acc = "n/a" if i["accuracy"] is None else f"{100 * i['accuracy']:.2f} %"
        L.append(f"| {i['sim']} | {i['images']} | {i['passed']}/{i['images']} | {acc} | "
                 f"{i['cycles']} | {i['cycles_per_s']} | {i['s_per_image']} |")
    L += ["", "RTL accuracy per split of the digits data (the held-out split first):", "",
          "| simulator | split | images | match golden | RTL accuracy |", "|---|---|---|---|---|"]
    for i in s["images"]:
        for name, sp in i.get("splits", {}).items():
            acc = "n/a" if sp["accuracy"] is None else f"{100 * sp['accuracy']:.2f} %"
            L.append(f"| {i['sim']} | {name} | {sp['images']} | {sp['passed']}/{sp['images']} | "
                     f"{acc} |")
    L += ["", f"Overall: {'PASS' if s['passed'] else 'FAIL'}", ""]
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m verif.regress")
    ap.add_argument("--archs", type=int, default=50)
    ap.add_argument("--nets", type=int, default=4, help="random networks per architecture")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--icarus-images", type=int, default=20)
    ap.add_argument("--sim", default="verilator")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(runner.ROOT / "build" / "regress"))
    args = ap.parse_args(argv)
    why = runner.sim_available(args.sim)
    if why:
        print(f"verif.regress: {why}")
        return 2
    t0 = time.monotonic()
    log = lambda s: print(s, flush=True)  # noqa: E731
    summary = {"seed": args.seed, "sim": args.sim, "date": time.strftime("%Y-%m-%d %H:%M"),
               "random_layers": _random_layers(args, log) if args.archs else [],
               "images": []}
    if args.images:
        summary["images"].append(_images(args, args.sim, args.images, log))
    if args.icarus_images and args.sim != "icarus" and not runner.sim_available("icarus"):
        summary["images"].append(_images(args, "icarus", args.icarus_images, log))
    summary["wall_s"] = time.monotonic() - t0
    summary["passed"] = (all(i["passed"] for i in summary["random_layers"]) and
                         all(i["ok"] for i in summary["images"]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "summary.md").write_text(_markdown(summary))
    print(_markdown(summary))
    print(f"written {out / 'summary.md'} and {out / 'summary.json'}")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
