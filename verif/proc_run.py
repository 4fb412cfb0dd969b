"""``python -m verif.proc_run`` (``make run``): the main job on the processor.

    python -m verif.proc_run [--net digits] [--preset NAME] [--images 20] [--out DIR]

Runs a network on ONE generated processor (docs/PROCESSOR.md) of a capacity preset
(``golden.capacity.PRESETS``; default: the smallest preset the network fits, see
:func:`smallest_preset`): the processor Verilog is emitted and compiled under Verilator once
per design (``verif.proc_harness``, reused from ``build/proc/`` afterwards), the network's
image (``golden.image.write_image``) and the held-out images are placed in the harness's AXI4
memory model (fixed latency ``verif.proc_harness.DEFAULT_LATENCY``), and every inference is
checked against the golden model by the harness's checker: every event and the order in which
each layer wrote it, the scores, PREDICTION, BYTES, EVENTS[l], STATUS and ERROR, and CYCLES
against the cycle model (``golden.processor_cycles``). The report (``DIR/report.md`` and
``report.json``, default ``DIR = build/run/NET-PRESET``, beside the ``network.img`` that ran)
gives the preset and its capacity, the Verilog's path and SHA-256, the images equal to golden,
the accuracy, cycles per image, bytes read per image, passes per layer, latency at the clock of
the preset's target (:func:`report_clock`) and, when ``make synth`` measured it, at the
synthesised Fmax, events and synaptic operations per image, and the generate, compile and
simulate wall times.

Networks: the shipped ones (``digits``, ``mnist``, ``mnist-vgg16``, ... on their held-out
splits), network files (their data set's held-out split) and the VGG-16 hardware workload
``vgg16-shape-random`` (``golden.workload``: synthetic images, its predictions mean nothing).

Bad input (unknown network or preset, a network that does not fit the preset, a bad image
count, an output path that cannot be written): one line, exit status 2, nothing written.
Exit status 1 if any inference differs from the golden model. The fixed-network accelerator's
job is ``verif.run`` (``make run-fixed``).
"""

import errno
import hashlib
import json
import os
import sys
import time

import numpy as np

from gen.image import IMAGE_FILE
from gen.synth.processor import clock_of, processor_key
from gen.synth.settings import load_settings
from golden import cli, data
from golden.capacity import PRESETS, CapacityError, DoesNotFit, check_fits, plan, preset
from golden.contract import CODE_BITS
from golden.files import atomic_directory
from golden.image import write_image
from golden.network import NetworkError

from . import fast_harness as FH
from . import proc_harness as PH
from . import runner
from .proc_regress import _images as held_out_images

__all__ = ["run", "smallest_preset", "preset_size", "report_clock", "synthesised_clock", "markdown",
           "PRESET_TARGET", "RunError", "main"]

FORMAT = 1
#: the target each preset is made for: its clock turns cycles into time in the report
#: (``ice40-digits``: the iCE40 HX8K/UP5K; ``ecp5-mnist``: the ECP5; ``vgg16``: SKY130, since
#: no ECP5 holds its memories, docs/PROCESSOR.md section 8)
PRESET_TARGET = {"ice40-digits": "ice40", "ecp5-mnist": "ecp5", "vgg16": "sky130",
                 **{name: "ecp5" for name in PRESETS if name.startswith("ecp5-mnist-rate-")}}
#: the STA wire model whose achieved clock is the SKY130 "Fmax" (the most pessimistic of the
#: three that ``make synth TARGET=sky130`` reports)
SKY130_WIRE_MODEL = "routed"
SYNTH_REPORT = runner.ROOT / "build" / "synth" / "report.json"


class RunError(ValueError):
    """Bad input of the run (one line)."""


def preset_size(capacity):
    """What ``smallest_preset`` orders the presets by: the memory bits the capacity generates
    (per core membranes and weight buffers, the two spike buffers), then the cores."""
    per_core = (capacity.membrane_words * capacity.membrane_bits
                + capacity.weight_words * CODE_BITS)
    return (capacity.cores * per_core + 2 * capacity.spike_events, capacity.cores)


def smallest_preset(network):
    """The preset of least ``preset_size`` that ``network`` fits; ``DoesNotFit`` naming the
    limit of the largest preset of the network's coding when it fits none."""
    ordered = sorted(PRESETS.values(), key=preset_size)
    misses = []
    for cap in ordered:
        try:
            check_fits(network, cap)
            return cap
        except DoesNotFit as exc:
            misses.append((cap, exc))
    same = [exc for cap, exc in misses if cap.coding == network.coding] or [misses[-1][1]]
    raise DoesNotFit(f"{network.name} fits no capacity preset ({', '.join(PRESETS)}); "
                     f"{same[-1]}")


def report_clock(capacity):
    """(MHz, where it comes from) of the clock the report turns cycles into time at: the
    capacity's ``clock_mhz`` if it has one, else the clock of its target
    (``PRESET_TARGET``) in constraints/targets.json, as ``make synth`` places it."""
    target = PRESET_TARGET.get(capacity.name)
    if target is None:
        return None, f"no target is known for the capacity {capacity.name}"
    settings = load_settings()
    mhz = clock_of(capacity, target, settings)
    if mhz:
        where = ("the preset's clock_mhz" if getattr(capacity, "clock_mhz", None) else
                 f"the {target} target clock of constraints/targets.json")
        return float(mhz), where
    period = settings[target]["period_ns"]
    return 1000.0 / period, f"the {target} clock period, {period:g} ns, of constraints/targets.json"


def synthesised_clock(capacity, report_path=SYNTH_REPORT):
    """(MHz, where it comes from) of the preset's processor as ``make synth PRESET=...
    TARGET=...`` measured it (``build/synth/report.json``: nextpnr's Fmax on an FPGA, the
    clock OpenSTA's ``SKY130_WIRE_MODEL`` slack allows on SKY130), or (None, why not)."""
    target = PRESET_TARGET.get(capacity.name)
    how = f"make synth PRESET={capacity.name} TARGET={target}"
    try:
        with open(report_path) as f:
            entry = json.load(f).get(processor_key(capacity.name, "top", target))
    except (OSError, ValueError, AttributeError):
        entry = None
    if not isinstance(entry, dict):
        return None, f"not synthesised here ({how})"
    if target == "sky130":
        model = entry.get("sta", {}).get("wire_models", {}).get(SKY130_WIRE_MODEL, {})
        mhz = model.get("achieved_mhz")
        where = f"{how}: OpenSTA, wire model {SKY130_WIRE_MODEL!r} ({model.get('assumption')})"
    else:
        mhz = entry.get("fmax_mhz")
        where = f"{how}: nextpnr Fmax on the {entry.get('device')}"
    if not mhz:
        return None, f"no clock figure in the {how} entry of {report_path}"
    return float(mhz), where + " (the processor without its trace port)"


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _relative(path):
    path = os.path.abspath(path)
    root = str(runner.ROOT)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


def _check_replaceable(out):
    """Refuse an ``out`` that the run would replace although it is not a run folder."""
    if not os.path.lexists(out):
        return
    if not os.path.isdir(out) or os.path.islink(out):
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", out)
    if os.listdir(out) and not os.path.isfile(os.path.join(out, "report.json")):
        raise FileExistsError(errno.EEXIST, "exists and is not a run folder (no report.json); not "
                              "replacing it", out)


def prepare(name, preset_name, n_images):
    """(network, capacity, how the preset was chosen, x, labels or None, source) of a run;
    raises the errors of bad input before anything is generated or written."""
    from golden import network as network_file
    net = network_file.load(name)
    if preset_name is None:
        cap = smallest_preset(net)
        chosen = f"the smallest preset {net.name} fits (the default)"
    else:
        cap = preset(preset_name)
        chosen = "given (PRESET)"
    check_fits(net, cap)
    x, y, source = held_out_images(name, net, n_images)
    if len(x) < n_images:
        raise RunError(f"--images {n_images}: {name} has {len(x)} held-out images")
    return net, cap, chosen, x, y, source


def _progress(text):
    print(text, file=sys.stderr, flush=True)


def run(name, preset_name, n_images, out=None, *, harness=None, log=_progress):
    """Run ``n_images`` held-out images of ``name`` on the processor of ``preset_name`` (None:
    the smallest that fits), check them, write the report into ``out`` (default
    ``build/run/NET-PRESET``); the report dict. ``harness``: a ``ProcHarness`` of that
    preset to reuse (tests)."""
    net, cap, chosen, x, y, source = prepare(name, preset_name, n_images)
    out = out or os.path.join("build", "run", f"{net.name}-{cap.name}")
    cli.check_output(out)
    _check_replaceable(out)
    why = harness is None and runner.sim_available("verilator")
    if why:
        raise RunError(why)
    layers = plan(net, cap)
    log(f"run: {net.name} on the processor {cap.name}, {chosen}; {n_images} image(s); "
        f"report in {out}")
    t_start = time.monotonic()
    image = write_image(net, cap)
    if harness is None:
        t0 = time.monotonic()
        log(f"run: emitting the {cap.name} processor's Verilog and compiling it under "
            "Verilator (once per design: reused from build/proc afterwards)")
        harness = PH.ProcHarness(cap)
        setup_s = time.monotonic() - t0
        generate_s, compile_s = harness.generate_s, harness.build_s
    else:
        setup_s = generate_s = compile_s = 0.0
    if harness.capacity != cap:
        raise ValueError(f"the harness is of {harness.capacity.name}, not {cap.name}")
    verilog = harness.build_dir / "design" / f"{harness.top}.v"
    timing = PH.Timing(latency=PH.DEFAULT_LATENCY)
    batch = PH.Batch(net, x, y, timing=timing, image=image, name=net.name)
    t0 = time.monotonic()
    results, totals = [], None
    for item in harness.check([batch]):
        if isinstance(item, PH.RunTotals):
            totals = item
            continue
        results.append(item)
        log(f"run: image {len(results)}/{n_images}: "
            f"{'equal to golden' if _equal(item) else 'DIFFERS'}, {item.cycles:,} cycles")
    check_s = time.monotonic() - t0
    clock = report_clock(cap)
    fmax = synthesised_clock(cap)
    report = _report(net, name, cap, chosen, layers, source, results, totals, verilog,
                     harness, image, timing, clock, fmax,
                     times={"generate_s": generate_s, "compile_s": compile_s,
                            "harness_setup_s": setup_s, "simulate_s": totals.sim_s,
                            "simulate_and_check_s": check_s,
                            "total_s": time.monotonic() - t_start})
    text = json.dumps(report, indent=1) + "\n"
    with atomic_directory(out) as tmp:
        with open(os.path.join(tmp, IMAGE_FILE), "wb") as f:
            f.write(image)
        with open(os.path.join(tmp, "report.json"), "w") as f:
            f.write(text)
        with open(os.path.join(tmp, "report.md"), "w") as f:
            f.write(markdown(report))
    report["out"] = out
    return report


def _equal(res):
    """Everything checked equal, CYCLES included (the harness compares them with the cycle
    model under the fixed-latency memory only when ``golden.processor_cycles`` exists)."""
    return res.ok and res.model_cycles is not None


def _mean(values):
    return float(np.mean(values)) if len(values) else None


def _report(net, name, cap, chosen, layers, source, results, totals, verilog, harness, image,
            timing, clock, fmax, times):
    rows = []
    mismatches = []
    for r in results:
        work = r.work or {}
        rows.append({"image": r.index, "label": r.label, "prediction": r.prediction,
                     "golden": r.golden, "equal": _equal(r), "cycles": r.cycles,
                     "model_cycles": r.model_cycles, "bytes": r.bytes,
                     "events": None if r.events is None else sum(r.events),
                     "events_per_layer": r.events, "synops": work.get("synops")})
        if not r.ok:
            mismatches.append(r.message)
        elif r.model_cycles is None:
            mismatches.append(f"{r.batch.where(r.index)}: CYCLES = {r.cycles} not checked (no "
                              "cycle model: golden.processor_cycles is missing)")
    n = len(rows)
    cyc = np.array([r["cycles"] for r in rows], dtype=np.int64)
    labelled = [r for r in rows if r["label"] is not None]
    mhz, clock_source = clock
    fmax_mhz, fmax_source = fmax
    mean = float(cyc.mean())
    return {
        "format": FORMAT, "kind": "processor run",
        "network": net.name, "network_source": name, "T": net.T, "coding": net.coding,
        "fire_rule": net.fire_rule, "layers": len(net.layers),
        "preset": cap.name, "preset_choice": chosen, "capacity": cap.as_dict(),
        "verilog": {"path": _relative(verilog), "sha256": _sha256_file(verilog),
                    "harness": _relative(harness.executable),
                    "compiled_now": times["compile_s"] > 0, "verilator": FH.verilator_version()},
        "network_image": {"file": IMAGE_FILE, "bytes": len(image),
                          "sha256": hashlib.sha256(image).hexdigest()},
        "memory": {"model": "verif/harness/axi_mem.h", "timing": timing.describe(),
                   "latency_cycles": timing.latency, "data_bits": cap.data_bits},
        "images": n, "images_source": source,
        "equal_golden": sum(r["equal"] for r in rows),
        "checked": "every event and the order each layer wrote them, scores, PREDICTION, "
                   "BYTES (= golden.image.bytes_read and the bytes the memory served), "
                   "EVENTS[l], STATUS, ERROR, irq; CYCLES = golden.processor_cycles under the "
                   "fixed-latency memory",
        "rtl_accuracy": (sum(r["prediction"] == r["label"] for r in labelled) / len(labelled)
                         if labelled else None),
        "golden_accuracy": (sum(r["golden"] == r["label"] for r in labelled) / len(labelled)
                            if labelled else None),
        "cycles_per_image": {"mean": mean, "min": int(cyc.min()), "max": int(cyc.max())},
        "cycle_model_equal": sum(r["model_cycles"] == r["cycles"] for r in rows),
        "bytes_per_image": {"mean": _mean([r["bytes"] for r in rows]),
                            "min": min(r["bytes"] for r in rows),
                            "max": max(r["bytes"] for r in rows)},
        "passes_per_layer": [lp.passes for lp in layers],
        "pass_limits": [lp.limit for lp in layers],
        "clock": {"mhz": mhz, "source": clock_source,
                  "target": PRESET_TARGET.get(cap.name)},
        "latency_us": None if mhz is None else mean / mhz,
        "images_per_s": None if mhz is None else mhz * 1e6 / mean,
        "synthesised_clock": {"mhz": fmax_mhz, "source": fmax_source},
        "latency_us_at_synthesised_clock": None if fmax_mhz is None else mean / fmax_mhz,
        "images_per_s_at_synthesised_clock": (None if fmax_mhz is None else
                                              fmax_mhz * 1e6 / mean),
        "events_per_image": _mean([r["events"] for r in rows if r["events"] is not None]),
        "synops_per_image": _mean([r["synops"] for r in rows if r["synops"] is not None]),
        "times": {k: round(v, 3) for k, v in times.items()},
        "simulated_cycles": totals.cycles,
        "host": {"cpus": os.cpu_count(), "load": [round(v, 2) for v in os.getloadavg()]},
        "mismatches": mismatches[:10],
        "per_image": rows,
    }


def _pct(v):
    return "n/a (no labels)" if v is None else f"{100 * v:.1f} %"


def _per_s(v):
    return f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def markdown(r):
    c = r["capacity"]
    t = r["times"]
    cyc = r["cycles_per_image"]
    b = r["bytes_per_image"]
    v = r["verilog"]
    bytes_text = (f"{b['min']:,}" if b["min"] == b["max"] else
                  f"{b['mean']:,.0f} ({b['min']:,}..{b['max']:,})")
    passes = ", ".join(f"{p}" + ("" if lim == "groups" else f" ({lim})")
                       for p, lim in zip(r["passes_per_layer"], r["pass_limits"]))
    clk = r["clock"]
    if clk["mhz"] is None:
        latency = f"| latency | n/a: {clk['source']} |"
    else:
        latency = (f"| latency at {clk['mhz']:g} MHz ({clk['source']}); images per second | "
                   f"{r['latency_us']:,.1f} µs; {_per_s(r['images_per_s'])} |")
    s = r["synthesised_clock"]
    if s["mhz"] is None:
        synth = f"| at the synthesised Fmax | {s['source']} |"
    else:
        synth = (f"| latency at the synthesised {s['mhz']:g} MHz ({s['source']}); images per "
                 f"second | {r['latency_us_at_synthesised_clock']:,.1f} µs; "
                 f"{_per_s(r['images_per_s_at_synthesised_clock'])} |")
    compile_text = (f"{t['compile_s']:.1f} s" if v["compiled_now"] else
                    "0 s (reused from build/proc)")
    lines = [
        f"# {r['network']} on the processor `{r['preset']}` (Verilator, AXI4 memory model)",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| preset | `{r['preset']}`: {r['preset_choice']} |",
        f"| capacity | P = {c['cores']}; per core {c['membrane_words']} membrane, "
        f"{c['weight_words']} weight, {c['param_words']} parameter words; spike buffers "
        f"{c['spike_events']} events; {c['max_layers']} layers; membrane {c['membrane_bits']} "
        f"bits; AXI {c['data_bits']} bits, {c['max_bursts']} bursts in flight |",
        f"| processor Verilog (sha256) | `{v['path']}` ({v['sha256'][:16]}...) |",
        f"| network image in the memory model | `{r['network_image']['file']}`, "
        f"{r['network_image']['bytes']:,} bytes |",
        f"| memory | {r['memory']['timing']} cycles (AR to first beat), "
        f"`{r['memory']['model']}` |",
        f"| images | {r['images']} ({r['images_source']}) |",
        f"| equal to golden (see below) | {r['equal_golden']} / {r['images']} |",
        f"| accuracy on these images: RTL, golden | {_pct(r['rtl_accuracy'])}, "
        f"{_pct(r['golden_accuracy'])} |",
        f"| cycles per image (CYCLES, start to done: mean, min, max) | {cyc['mean']:,.0f}, "
        f"{cyc['min']:,}, {cyc['max']:,} |",
        f"| bytes read per image (BYTES) | {bytes_text} |",
        f"| passes per layer (what limits them) | {passes} |",
        latency,
        synth,
        f"| events, synaptic operations per image (golden model) | "
        f"{r['events_per_image']:,.0f}, {r['synops_per_image']:,.0f} |",
        f"| generate, compile, simulate (of which clocking the model) | "
        f"{t['generate_s']:.1f} s, {compile_text}, {t['simulate_and_check_s']:.1f} s "
        f"({t['simulate_s']:.1f} s) |",
        "",
        f"Checked per image: {r['checked']}. Verilator {r['verilog']['verilator']}; "
        f"{r['host']['cpus']} CPUs, load average {r['host']['load'][0]:.1f} at the end.",
        "",
    ]
    if r["mismatches"]:
        lines += ["## Mismatches", ""] + [f"- {m}" for m in r["mismatches"]] + [""]
    return "\n".join(lines)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m verif.proc_run", description=__doc__.split("\n")[0])
    ap.add_argument("--net", default="digits",
                    help="shipped network name, network file or vgg16-shape-random")
    ap.add_argument("--preset", default=None,
                    help=f"capacity preset ({', '.join(PRESETS)}; default: the smallest the "
                         "network fits)")
    ap.add_argument("--images", type=cli.count(1), default=20,
                    help="held-out images to run")
    ap.add_argument("--out", default=None,
                    help="report folder (default build/run/NET-PRESET); replaced whole, so it "
                         "must be absent, empty or an earlier run's")
    a = ap.parse_args(argv)
    try:
        r = run(a.net, a.preset, a.images, a.out)
    except (NetworkError, CapacityError, DoesNotFit, RunError, data.DatasetUnavailable,
            data.UnknownDataset, FH.BuildError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    except (FH.HarnessError, PH.Mismatch) as exc:   # the harness failed, or the registers
        print(f"{ap.prog}: {cli.reason(exc)}", file=sys.stderr)   # after its reset differ
        return 1
    print(markdown(r))
    print(f"run: report in {r['out']}/report.md")
    return 0 if r["equal_golden"] == r["images"] else 1


if __name__ == "__main__":
    sys.exit(main())
