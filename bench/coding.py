"""Coding comparison (issue 15 item 3): TTFS against rate coding (the contract's count scheme)
against the time-stepped SNN of QCFS (``golden.timestep``), at T = 2, 4, 8, per base network.

Per (base, T) the rows are the TTFS variant, the rate variant run as the count scheme (=
quantised ANN), and the same rate variant run time-stepped with the encoder input (and, for
accuracy and work only, with the analog input of the QCFS paper). Every figure is measured on
the first ``images`` held-out images of the base's data set (``IMAGES``: mnist all 2,000; the
VGG-16 rows fewer, to keep ``make bench`` short; the time-stepped results are cached in
build/timestep/ by ``golden.timestep.cached``):

- accuracy: ``golden.dense`` (TTFS, count scheme; the event-driven SNN equals it bit for bit)
  and ``golden.timestep``;
- spikes and synaptic operations per image: events of every layer (input included) and events
  x fan-out, from those models' spike counts (``golden.timestep.layer_work``, which equals
  ``golden.event``'s counts: tests/bench/test_coding.py);
- cycles: ``golden.cycles`` at P cores, the model the RTL equals cycle for cycle in both
  codings (TTFS: ``make regress``; the count scheme: ``verif.proc_regress`` on the rate
  presets), on the first ``CYCLE_IMAGES`` images (TTFS) or ``RATE_CYCLE_IMAGES`` (the count
  scheme, whose events come from the slower ``golden.event``); the time-stepped SNN has no RTL;
- energy: ``bench.energy.snn_energy`` on the architecture's memories. TTFS and the count
  scheme are layer-sequential, as ``golden.event`` counts them. The time-stepped SNN is costed
  on a hypothetical time-stepped version of the same architecture (``TIMESTEPPED_ASSUMPTIONS``).
"""

import os
import time

import numpy as np

from golden import cycles as cycle_model
from golden import data, dense, event, network, timestep
from golden.nets import NETS_DIR

from . import energy as E

__all__ = ["BASES", "STEPS", "IMAGES", "CYCLE_IMAGES", "TIMESTEPPED_ASSUMPTIONS",
           "variant_file", "layer_sequential_counts", "timestepped_counts",
           "timestepped_memories", "ttfs_cycles", "measure", "markdown"]

BASES = ("mnist", "mnist-vgg16")
STEPS = (2, 4, 8)
#: held-out images per base (None: all): those of the gap table (golden.timestep), whose cached
#: results the bench reuses
IMAGES = {base: timestep.BASE_LIMITS.get(base) for base in BASES}
#: images of the cycle model per base (it walks every event of every image in Python)
CYCLE_IMAGES = {"mnist": 200, "mnist-vgg16": 50}
#: the count scheme's cycles run the event-driven model (0.6 s per mnist-rate-t8 image, 3.3 s
#: per mnist-vgg16-rate-t8 image here): fewer images
RATE_CYCLE_IMAGES = {"mnist": 50, "mnist-vgg16": 10}

TIMESTEPPED_ASSUMPTIONS = [
    "Time-stepped SNN costed on a hypothetical time-stepped version of the same architecture "
    "(there is no RTL for it): every step, every layer integrates that step's input events "
    "(synaptic operations as in the layer-sequential design) and then updates every neuron "
    "(membrane read + write, bias add, one threshold comparison, one bias/threshold read per "
    "channel group); all layers' membranes stay live across the steps, so the membrane memory "
    "holds the sum of the layers' neurons instead of the largest layer's; spike buffers hold "
    "one step's events (at most one per neuron); the input encoder does one 10-bit add and "
    "compare per pixel and step.",
    "Analog input (QCFS paper): the first layer's T x multiply-accumulates of the non-zero "
    "pixels are listed, not costed (the energy model has no multiplier path).",
]


def variant_file(base, coding, T):
    """``nets/<base>-<coding>-t<T>.json``, or ``nets/<base>.json`` when the base itself has
    that coding and T; None when neither exists."""
    cand = os.path.join(NETS_DIR, f"{base}-{coding}-t{T}.json")
    if os.path.isfile(cand):
        return cand
    path = os.path.join(NETS_DIR, base + ".json")
    if os.path.isfile(path):
        net = network.load(path)
        if (net.coding, net.T) == (coding, T):
            return path
    return None


def _groups(net, P):
    return [-(-l.out_channels // P) for l in net.layers]


def layer_sequential_counts(net, events_in, synops):
    """Work counts per inference (``golden.event`` Trace ``counts`` keys used by
    ``energy.snn_energy``) of the layer-sequential schedule from per-layer input events and
    synaptic operations: membranes are read and written per synop and once more per neuron in
    the fire phase; every layer's output events are written to and read from a spike
    buffer."""
    neurons = sum(l.neurons for l in net.layers)
    syn = float(sum(synops))
    return {"synops": syn, "membrane_reads": syn + neurons, "membrane_writes": syn + neurons,
            "weight_reads": syn, "spike_reads": float(sum(events_in)),
            "spike_writes": float(sum(events_in[1:])), "input_events": float(events_in[0]),
            "neurons": neurons}


def timestepped_counts(net, events_in, synops, T):
    """The same counts for the time-stepped schedule (``TIMESTEPPED_ASSUMPTIONS``): every
    neuron is read, updated and written at each of the T steps; ``neurons`` counts neuron
    updates (one comparison each)."""
    c = layer_sequential_counts(net, events_in, synops)
    updates = T * c["neurons"]
    c.update(membrane_reads=c["synops"] + updates, membrane_writes=c["synops"] + updates,
             neurons=updates)
    return c


def timestepped_memories(net, P):
    """The layer-sequential design's memories (spike buffers of one event per neuron) with a
    membrane memory that holds every layer's neurons at once."""
    geoms = E.net_geoms(net)
    mems = E.analytic_memories(geoms, P, net.T, net.membrane_bits, net.input_shape,
                               net.classes, "ttfs")
    m = dict(mems["membrane"])
    m["depth"] = sum(G * l.positions for G, l in zip(_groups(net, P), net.layers))
    m["bits"] = m["instances"] * m["depth"] * m["width"]
    return dict(mems, membrane=m)


def ttfs_cycles(net, x, P):
    """Mean ``golden.cycles`` cycles per image of a TTFS network over images x; the event lists
    come from the dense model (bit-equal to ``golden.event``'s)."""
    total = 0
    for i in range(0, len(x), 100):
        xin, res = dense.run(net, x[i:i + 100])
        for j in range(len(xin)):
            none = np.zeros((0, 2), dtype=np.int64)  # the classifier sends no events
            layers = [event.LayerTrace(events=none if r.pooled is None else
                                       event._to_events(r.pooled[j], net), membrane=None)
                      for r in res]
            tr = event.Trace(input_events=event._to_events(xin[j], net), layers=layers,
                             scores=None, prediction=None, counts=None)
            total += sum(c.total for c in cycle_model.network_cycles(net, tr, P))
    return total / max(1, len(x))


def rate_cycles(net, x, P):
    """Mean ``golden.cycles`` cycles per image of a rate-coded network over images x, from
    ``golden.event``'s traces (whose event order the rate cycle model reads)."""
    total = 0
    for image in x:
        total += sum(c.total for c in cycle_model.network_cycles(net, event.run(net, image), P))
    return total / max(1, len(x))


def _energy(net, counts, mems, P, T_fire, pixels, params):
    e = E.snn_energy(counts, mems, T_fire, net.membrane_bits, pixels, params)
    return {"nj_45nm": e["total"] * 1e-3, "nj_28nm": e["total"] * E.TECH_SCALE_28NM * 1e-3,
            "membrane_share": e["membrane_sram"] / e["total"]}


def _ttfs_row(path, x, y, P, cycle_images):
    net = network.load(path)
    ev = np.zeros(len(net.layers))
    syn = np.zeros(len(net.layers))
    correct = 0
    for i in range(0, len(x), 250):
        xin, res = dense.run(net, x[i:i + 250])
        ins = [xin] + [r.pooled for r in res[:-1]]
        e, s = timestep.layer_work(net, [(a < net.T).astype(np.int64) for a in ins])
        ev += e.sum(axis=0)
        syn += s.sum(axis=0)
        correct += int((np.argmax(res[-1].membrane, axis=1) == y[i:i + 250]).sum())
    n = max(1, len(x))
    ev, syn = ev / n, syn / n
    counts = layer_sequential_counts(net, ev, syn)
    params = E.param_reads(E.net_geoms(net), P)
    return {"scheme": "ttfs", "net": os.path.basename(path)[:-5], "acc": correct / n,
            "spikes": float(ev.sum()), "synops": float(syn.sum()),
            "cycles": ttfs_cycles(net, x[:cycle_images], P),
            "energy": _energy(net, counts, E.memories_of(net, P), P, net.T, net.input_neurons,
                              params)}


def _rate_rows(path, images, P, x_cycles):
    net = network.load(path)
    r = timestep.cached(path, "heldout", images)
    stem = os.path.basename(path)[:-5]
    geoms = E.net_geoms(net)
    params = E.param_reads(geoms, P)
    L = r["count"]["layers"]
    rows = [{"scheme": "count", "net": stem, "acc": r["count_acc"], "spikes": r["count"]["spikes"],
             "synops": r["count"]["synops"], "cycles": rate_cycles(net, x_cycles, P),
             "energy": _energy(net, layer_sequential_counts(net, L["events_in"], L["synops"]),
                               E.memories_of(net, P), P, net.T, net.input_neurons, params)}]
    for mode, t in r["timestepped"].items():
        L = t["layers"]
        row = {"scheme": f"timestepped-{mode}", "net": stem, "acc": t["acc"],
               "gap": t["acc"] - r["count_acc"], "pred_differs": t["pred_differs"],
               "spikes": t["spikes"], "synops": t["synops"], "analog_macs": t["analog_macs"],
               "cycles": None, "energy": None}
        if mode == "encoder":
            counts = timestepped_counts(net, L["events_in"], L["synops"], net.T)
            row["energy"] = _energy(net, counts, timestepped_memories(net, P), P, 1,
                                    net.T * net.input_neurons, net.T * params)
        rows.append(row)
    return rows, r["images"]


def measure(P=8, bases=BASES, log=None):
    """{"bases": {base: {"images", "rows": [per T: TTFS, count scheme, time-stepped]}},
    "notes": [...]} (a base whose data set is absent is noted, not measured)."""
    out = {"bases": {}, "notes": [], "P": P, "assumptions": TIMESTEPPED_ASSUMPTIONS}
    for base in bases:
        t0 = time.perf_counter()
        try:
            ds = data.dataset_of(base)
            x, y = data.load(ds, "heldout",
                             network.load(os.path.join(NETS_DIR, base + ".json")).input_shape)
        except (data.DatasetUnavailable, network.NetworkError) as exc:
            out["notes"].append(f"{base}: not measured ({str(exc).splitlines()[0]})")
            continue
        limit = IMAGES.get(base)
        if limit:
            x, y = x[:limit], y[:limit]
        cycles = min(len(y), CYCLE_IMAGES.get(base, 50))
        rate_cycle_images = min(len(y), RATE_CYCLE_IMAGES.get(base, 10))
        rows = []
        for T in STEPS:
            for coding in ("ttfs", "rate"):
                path = variant_file(base, coding, T)
                if path is None:
                    rows.append({"scheme": coding, "T": T, "net": f"{base}-{coding}-t{T}",
                                 "missing": True})
                    continue
                if log:
                    log(f"coding comparison: {os.path.basename(path)[:-5]} on {len(y)} images")
                got = [_ttfs_row(path, x, y, P, cycles)] if coding == "ttfs" else \
                    _rate_rows(path, limit, P, x[:rate_cycle_images])[0]
                rows += [dict(r, T=T) for r in got]
        out["bases"][base] = {"images": int(len(y)), "cycle_images": cycles,
                              "rate_cycle_images": rate_cycle_images, "rows": rows,
                              "seconds": time.perf_counter() - t0}
    return out


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


SCHEME_NAMES = {"ttfs": "TTFS", "count": "rate, count scheme",
                "rate": "rate, count scheme", "timestepped-encoder": "rate, time-stepped",
                "timestepped-current": "rate, time-stepped, analog input"}


def markdown(res, heading):
    """The section's lines (``heading`` first)."""
    L = [heading, ""]
    if res is None:
        return L + ["Not measured (--quick, or mnist unavailable).", ""]
    P = res["P"]
    L += ["TTFS against rate coding at equal T, and the rate network run as the layer-sequential "
          "count scheme of the contract (= the quantised ANN; what the generated hardware "
          "computes) against the time-stepped SNN of QCFS (`golden.timestep`: IF neurons, "
          "initial membrane Θ/2, reset by subtraction, all layers advancing one step at a time; "
          "encoder input: an IF neuron per pixel, whose spike count equals the count scheme's "
          "input count, so the gap is the unevenness error of the hidden layers; analog input: "
          "the QCFS paper's constant current x/255 into the first layer). Accuracy: "
          "`golden.dense` for TTFS and the count scheme, `golden.timestep` for the time-stepped "
          "rows; gap = time-stepped minus count scheme (points); *differ* = images whose "
          "time-stepped prediction differs from the count scheme's. Spikes: events of every "
          "layer including the input's; synops: events × fan-out (as `golden.event` counts "
          "them). Cycles: `golden.cycles` at P = "
          f"{P}, mean over the images named per table: the RTL equals it cycle for cycle in "
          "both codings; the time-stepped SNN has no RTL. Energy: "
          "`bench/energy.py` (assumptions in section 3), per inference.", ""]
    L += [f"- {a}" for a in res["assumptions"]] + [""]
    for base, b in res["bases"].items():
        L += [f"### {base} (held-out, first {b['images']} images; cycles: first "
              f"{b['cycle_images']} (TTFS), {b['rate_cycle_images']} (count scheme))", "",
              "| T | coding | network | accuracy % | gap to count scheme (pts) | differ % | "
              "spikes / image | synops / image | cycles (model) | nJ 45 nm | nJ 28 nm |",
              "|" + "---|" * 11]
        for r in b["rows"]:
            name = SCHEME_NAMES.get(r["scheme"], r["scheme"])
            if r.get("missing"):
                L.append(f"| {r['T']} | {name} | `{r['net']}` not in nets/ | - | - | - | - | - | "
                         "- | - | - |")
                continue
            cyc = (f"{r['cycles']:,.0f}" if r["cycles"] is not None else
                   "no RTL")
            syn = f"{r['synops']:,.0f}"
            if r.get("analog_macs"):
                syn += f" + {r['analog_macs']:,.0f} MACs"
            en = r["energy"]
            L.append(f"| {r['T']} | {name} | `{r['net']}` | {_pct(r['acc'])} | "
                     + (f"{100 * r['gap']:+.2f}" if "gap" in r else "-") + " | "
                     + (_pct(r["pred_differs"]) if "pred_differs" in r else "-") + " | "
                     f"{r['spikes']:,.1f} | {syn} | {cyc} | "
                     + (f"{en['nj_45nm']:,.1f} | {en['nj_28nm']:,.1f}" if en else "- | -")
                     + " |")
        gaps = [r for r in b["rows"] if r["scheme"] == "timestepped-encoder"]
        if gaps:
            L += ["", f"Unevenness gap of {base} (time-stepped with encoder input minus count "
                  "scheme, points): " + ", ".join(f"T={r['T']}: {100 * r['gap']:+.2f}"
                                                  for r in gaps) + "."]
        L += [""]
    for n in res["notes"]:
        L += [f"- {n}"]
    return L + [""]
