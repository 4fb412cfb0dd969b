"""``python -m gen.synth``: synthesis reports of the accelerator."""

import argparse
import os
import sys

from .flow import run_target
from .processor import DESIGNS, run_preset
from .report import summary, workload_text, write_report
from .settings import ROOT, TARGETS, load_settings, resolve_network
from .sweep import sweep, write_sweep
from .tools import SynthError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen.synth", description=__doc__)
    ap.add_argument("--target", choices=TARGETS, default=None)
    ap.add_argument("--net", default="digits", help="network name or file (golden.network.load)")
    ap.add_argument("--p", type=int, default=8, help="neuron cores P")
    ap.add_argument("--sweep", action="store_true", help="area/Fmax against P")
    ap.add_argument("--ps", default="1,2,4,8,16", help="sweep: core counts")
    ap.add_argument("--targets", default="generic,sky130,ecp5", help="sweep: targets")
    ap.add_argument("--preset", default=None,
                    help="synthesise the processor of this capacity preset (golden.capacity) "
                         "instead of a network's accelerator")
    ap.add_argument("--design", choices=DESIGNS, default="top",
                    help="with --preset: the processor top, or its core without the buses")
    ap.add_argument("--no-compare", dest="compare", action="store_false",
                    help="with --preset: skip the fixed-network design of the same P")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "synth"))
    a = ap.parse_args(argv)
    if not a.sweep and not a.target:
        ap.error("give --target or --sweep")
    if a.preset is not None and a.sweep:
        ap.error("--preset synthesises one target: give --target, not --sweep")
    from golden.network import NetworkError
    from rtl.config import ConfigError
    try:
        settings = load_settings()
        if a.preset is not None:
            entries = run_preset(a.target, a.preset, design=a.design, out_dir=a.out,
                                 settings=settings, compare=a.compare)
            write_report(a.out, entries)
            for key, e in entries.items():
                print(f"synth: {key}: {summary(e)} ({e['seconds']} s)")
                if e.get("workload"):
                    print(f"synth: {key}: {workload_text(e)}")
            print(f"synth: report {os.path.relpath(a.out)}/report.md")
            return 0
        net, source = resolve_network(a.net)
        if a.sweep:
            ps = [int(x) for x in a.ps.split(",") if x.strip()]
            targets = [t.strip() for t in a.targets.split(",") if t.strip()]
            rows = sweep(net, source, ps, targets, out_dir=a.out, settings=settings)
            write_sweep(a.out, net, rows, targets)
            write_report(a.out, {f"{net.name}/p{r['cores']}/{t}": r[t]
                                 for r in rows for t in targets if t in r})
            print(f"synth: wrote {os.path.relpath(a.out)}/sweep.md, sweep.png, sweep.json")
            return 0
        e = run_target(a.target, net, source, a.p, out_dir=a.out, settings=settings)
        write_report(a.out, {f"{net.name}/p{a.p}/{a.target}": e})
        print(f"synth: {a.target} {net.name} P={a.p}: {summary(e)} ({e['seconds']} s); "
              f"report {os.path.relpath(a.out)}/report.md")
        return 0
    except (SynthError, NetworkError, ConfigError, OSError, ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"synth: error: {msg}", file=sys.stderr)
        return 2
