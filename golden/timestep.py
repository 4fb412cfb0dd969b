"""Time-stepped SNN: the converted SNN of QCFS (Bu et al., ICLR 2022) as a second golden model.

The count scheme of the contract (``golden.dense`` / ``golden.event`` in rate coding) lets a
layer integrate all its input events before it fires ``N = clip(floor(U / Theta), 0, T)``
events; that equals the quantised ANN exactly. The SNN that QCFS converts to instead advances
every layer one time step at a time, T steps:

- **Neurons**: integrate-and-fire, initial membrane Theta/2, reset by subtraction, at most one
  spike per step (``contract.if_step``). At step t a layer adds its per-step bias B (the
  exported B_int is in per-step units) and the increments of the spikes its input layer emitted
  at the same step t (``contract.synaptic_increment``: ``+-1 << (F - e - pool_shift)``).
- **Average pooling** as the contract defines it: the next layer reads the sum of the 2x2
  window's spikes of the step, with the /4 in the exponent (``pool_shift``); exactly
  ``golden.dense.layer_activation`` applied to one step's spikes.
- **Classifier**: no threshold; its membranes accumulate B and its input over the T steps (the
  score ``T B + sum of increments``, the count scheme's classifier sum); prediction = argmax,
  lowest class index on ties.
- **Input**, two presentations (``INPUT_MODES``):

  ``encoder``
      every pixel x drives an IF neuron with threshold ``contract.IF_INPUT_THETA`` (2 * 255),
      initial membrane 255 and constant current 2x per step (``contract.if_input_current``):
      after T steps it has spiked ``floor(x T / 255 + 1/2)`` times, the count scheme's input
      count (``contract.encode_input``), its spikes spread evenly over the steps. With this
      input the two models differ only by the unevenness of the hidden layers.
  ``current``
      the presentation of the QCFS paper's converted SNN (the static image is the input at
      every step): the first layer receives the constant current ``sum(W x / 255)`` per step.
      To keep it exact in integers that layer's membrane, bias and threshold are multiplied by
      ``contract.ANALOG_INPUT_SCALE`` (255). The first layer sees the unquantised x / 255, not
      the T-level input the networks were trained with, so this mode adds an input
      quantisation difference to the unevenness.

Theory (tested in ``tests/golden/test_timestep.py``): with T = 1 the time-stepped SNN equals the
count scheme bit for bit (one step is one integrate-and-fire); a layer whose input current is
the same at every step (e.g. the first layer on 0/255 images in ``encoder`` mode) emits exactly
the count scheme's counts; uneven arrival (early positive, late negative input) makes it differ.

Everything is integer (int64) and vectorised over a batch of images: per step and layer one
``golden.dense.integrate`` of that step's spikes, so a run costs about T dense passes.

Command line::

    python -m golden.timestep --net mnist-rate-t4            # one network, a readable table
    python -m golden.timestep --net digits-rate-t2 --json --limit 100
    python -m golden.timestep --gap                          # build/timestep_gap.md, every
                                                             # shipped rate variant
"""

import glob
import hashlib
import json
import os
import sys
from dataclasses import dataclass

import numpy as np

from . import cli, contract, data, dense, floatnet, network
from .files import atomic_write
from .nets import NETS_DIR, resolve

__all__ = ["INPUT_MODES", "TimestepError", "Run", "check", "run", "event_fanout",
           "synops_of", "layer_work", "count_scheme", "compare", "rate_variants", "gap_rows",
           "gap_markdown", "cached", "base_limit", "BASE_LIMITS", "main"]

INPUT_MODES = ("encoder", "current")
REPO = os.path.dirname(NETS_DIR)
CACHE_DIR = os.path.join(REPO, "build", "timestep")
DEFAULT_BATCH = 250
#: images of a base's variants in the gap table and the bench (None: the whole split): VGG-16
#: costs about 25 dense passes of the held-out split per variant
BASE_LIMITS = {"mnist-vgg16": 200}


class TimestepError(ValueError):
    """A network or parameter the time-stepped model cannot run (one line)."""


@dataclass
class Run:
    """Result of a batch of n images.

    scores (n, classes) int64 and prediction (n,); input_counts (n, *input_shape): spikes of
    each input encoder neuron over the T steps (zeros in ``current`` mode, which sends none);
    counts: per firing layer (n, *out_shape) spikes of each neuron over the T steps (before
    pooling: the rate-coded events of the layer); step_spikes (T, n): events of all firing
    layers and the input encoder at each step; layer_synops (n, layers): synaptic operations
    (every input event times the outputs it reaches, as ``golden.event`` counts them);
    analog_macs (n,): ``current`` mode only, T x the first layer's multiply-accumulates of the
    non-zero pixels (the first layer then has no input events and no synops)."""
    scores: np.ndarray
    prediction: np.ndarray
    input_counts: np.ndarray
    counts: list
    step_spikes: np.ndarray
    layer_synops: np.ndarray
    analog_macs: np.ndarray

    @property
    def spikes(self):
        """Events per image over the T steps: input encoder + every firing layer."""
        return self.step_spikes.sum(axis=0)

    @property
    def synops(self):
        return self.layer_synops.sum(axis=1)


def check(net, steps=None, input_mode="encoder"):
    """Validate the parameters; returns the number of steps (the network's T by default)."""
    if net.coding != "rate":
        raise TimestepError(f"{net.name}: the time-stepped SNN runs rate-coded networks; this "
                            f"one is {net.coding}")
    if input_mode not in INPUT_MODES:
        raise TimestepError(f"input mode {input_mode!r} is not one of {', '.join(INPUT_MODES)}")
    steps = net.T if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or \
            not 1 <= steps <= contract.T_MAX:
        raise TimestepError(f"steps: {steps!r} is not an integer in 1..{contract.T_MAX}")
    # the membranes' worst case grows with the steps beyond T (each step adds at most what one
    # step of the count scheme adds); the analog first layer carries 8 more bits. Its float64
    # sums stay exact: fan_in * 255 * 2^14 < 2^46 for every loadable layer.
    extra = (-(-int(steps) // net.T) - 1).bit_length()
    for layer in net.layers:
        bits = layer.membrane_bits + extra
        if input_mode == "current" and layer.index == 0:
            bits += contract.ANALOG_INPUT_SCALE.bit_length()
        if bits > network.INT64_HEADROOM:
            raise TimestepError(f"{net.name}: layer {layer.index} needs {bits}-bit membranes "
                                f"over {steps} steps ({input_mode} input), more than "
                                f"{network.INT64_HEADROOM}")
    return int(steps)


def _per_channel(layer, values):
    """A per-output-channel vector shaped to broadcast over (batch, *layer.out_shape)."""
    return np.asarray(values, dtype=np.int64).reshape((1, -1) + (1,) * (len(layer.out_shape)
                                                                       - 1))


def _synaptic(net, layer, spikes_in):
    """Sum of the increments of one step's input spikes (batch, *out_shape), bias excluded."""
    return dense.integrate(net, layer, spikes_in) - _per_channel(layer,
                                                                 dense.bias_term(net, layer))


def event_fanout(net, layer):
    """Synaptic operations of one input event of ``layer``, per input address: an array of the
    shape of the events the layer reads (the input image, or the previous layer's output
    before pooling in rate coding, after it in TTFS). Conv: output channels x the in-bounds
    output positions the event reaches; dense: the output features."""
    from .workload import _fanout  # output positions per input position of a conv layer
    if net.coding == "rate" and layer.pool_input:
        c, h, w = layer.in_map
        shape = (c, 2 * h, 2 * w)
    else:
        shape = layer.in_map
    if layer.kind != "conv2d":
        return np.full(shape, layer.out_shape[0], dtype=np.int64)
    per_pos = _fanout(layer) * layer.out_channels
    if shape != tuple(layer.in_map):  # an unpooled event reaches what its window reaches
        per_pos = per_pos.repeat(2, axis=0).repeat(2, axis=1)
    return np.broadcast_to(per_pos, shape).astype(np.int64)


def synops_of(net, layer, counts_in):
    """Synaptic operations per image (batch,) of ``layer`` for input events ``counts_in``
    (batch, *event shape): events per input address, times its fan-out."""
    n = len(counts_in)
    return np.asarray(counts_in, dtype=np.int64).reshape(n, -1) @ \
        event_fanout(net, layer).ravel()


def run(net, images, *, steps=None, input_mode="encoder"):
    """Run a batch of uint8 images (batch, C, H, W) through the time-stepped SNN; returns a
    Run."""
    T = check(net, steps, input_mode)
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.shape[1:] != net.input_shape:
        raise TimestepError(f"images of shape {images.shape[1:]} do not match the network "
                            f"input {net.input_shape}")
    x = images.astype(np.int64)
    n = len(x)
    layers = net.layers
    analog = input_mode == "current"
    # per layer: the per-step bias, threshold, membrane (classifier: the score accumulator)
    bias = [_per_channel(l, l.bias) for l in layers]
    theta = [_per_channel(l, l.threshold) if l.fires else None for l in layers]
    if analog:
        first_current = _synaptic(net, layers[0], x) + contract.ANALOG_INPUT_SCALE * bias[0]
        theta[0] = contract.ANALOG_INPUT_SCALE * theta[0]
    v = [np.broadcast_to(contract.if_initial_membrane(th), (n,) + l.out_shape).copy()
         if l.fires else np.zeros((n,) + l.out_shape, dtype=np.int64)
         for l, th in zip(layers, theta)]
    counts = [np.zeros((n,) + l.out_shape, dtype=np.int64) for l in layers if l.fires]
    input_counts = np.zeros_like(x)
    v_in = np.broadcast_to(contract.if_initial_membrane(contract.IF_INPUT_THETA), x.shape).copy()
    in_current = contract.if_input_current(x)
    step_spikes = np.zeros((T, n), dtype=np.int64)
    for t in range(T):
        if not analog:
            s, v_in = contract.if_step(v_in, in_current, contract.IF_INPUT_THETA)
            input_counts += s
            step_spikes[t] += s.reshape(n, -1).sum(axis=1)
        j = 0
        for li, layer in enumerate(layers):
            if li == 0 and analog:
                current = first_current
            else:
                current = _synaptic(net, layer, s) + bias[li]
            if not layer.fires:
                v[li] += current
                continue
            s, v[li] = contract.if_step(v[li], current, theta[li])
            counts[j] += s
            step_spikes[t] += s.reshape(n, -1).sum(axis=1)
            j += 1
    _, layer_synops = layer_work(net, [input_counts] + counts)
    analog_macs = T * synops_of(net, layers[0], x > 0) if analog else np.zeros(n, np.int64)
    scores = v[-1]
    return Run(scores=scores, prediction=np.argmax(scores, axis=1), input_counts=input_counts,
               counts=counts, step_spikes=step_spikes, layer_synops=layer_synops,
               analog_macs=analog_macs)


def layer_work(net, events_in):
    """Per image and layer (batch, layers): input events and synaptic operations, from the
    events each layer reads per input address (``events_in[l]``: batch x the layer's event
    shape; rate: counts before pooling, TTFS: 0/1 after pooling)."""
    n = len(events_in[0])
    ev = np.stack([np.asarray(e).reshape(n, -1).sum(axis=1) for e in events_in], axis=1)
    syn = np.stack([synops_of(net, l, e) for l, e in zip(net.layers, events_in)], axis=1)
    return ev.astype(np.int64), syn


def count_scheme(net, images):
    """The count scheme (``golden.dense``, = the quantised ANN) on a batch: (scores, prediction,
    input counts, per firing layer counts, (events_in, synops) per image and layer)."""
    x, res = dense.run(net, images)
    counts = [r.spikes for r in res if r.spikes is not None]
    scores = res[-1].membrane
    return scores, np.argmax(scores, axis=1), x, counts, layer_work(net, [x] + counts)


def compare(net, x, y, *, modes=INPUT_MODES, steps=None, batch=DEFAULT_BATCH):
    """The time-stepped SNN (each input mode; ``steps``, default T) against the count scheme on
    images x, labels y:
    accuracies, the fraction of images whose prediction (or scores) differ, spikes and synops
    per image (also per layer: ``layers`` = mean input events and synops of each layer), and
    per firing layer the fraction of neurons whose spike count differs."""
    n = len(x)
    L = len(net.layers)
    firing = [l.neurons for l in net.layers if l.fires]
    cs = {"correct": 0, "events_in": np.zeros(L), "synops": np.zeros(L)}
    ts = {m: {"correct": 0, "pred_differs": 0, "scores_differ": 0, "events_in": np.zeros(L),
              "synops": np.zeros(L), "analog_macs": 0, "count_differs": np.zeros(len(firing)),
              "step_spikes": np.zeros(check(net, steps, m))} for m in modes}
    for i in range(0, n, batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        sc, pred, _, counts, (ev, syn) = count_scheme(net, xb)
        cs["correct"] += int((pred == yb).sum())
        cs["events_in"] += ev.sum(axis=0)
        cs["synops"] += syn.sum(axis=0)
        for m in modes:
            r = run(net, xb, steps=steps, input_mode=m)
            t = ts[m]
            t["correct"] += int((r.prediction == yb).sum())
            t["pred_differs"] += int((r.prediction != pred).sum())
            t["scores_differ"] += int((r.scores != sc).any(axis=1).sum())
            t["events_in"] += layer_work(net, [r.input_counts] + r.counts)[0].sum(axis=0)
            t["synops"] += r.layer_synops.sum(axis=0)
            t["analog_macs"] += int(r.analog_macs.sum())
            t["step_spikes"] += r.step_spikes.sum(axis=1)
            t["count_differs"] += [int((a != b).sum()) for a, b in zip(r.counts, counts)]
    d = max(1, n)

    def work(t):
        # spikes: every layer's input events (the input encoder's and every firing layer's)
        return {"spikes": float(t["events_in"].sum()) / d, "synops": float(t["synops"].sum()) / d,
                "layers": {"events_in": [float(v) / d for v in t["events_in"]],
                           "synops": [float(v) / d for v in t["synops"]]}}
    out = {"net": net.name, "T": net.T, "steps": check(net, steps), "images": int(n),
           "count_acc": cs["correct"] / d,
           "count": work(cs), "timestepped": {}}
    for m, t in ts.items():
        out["timestepped"][m] = dict(
            acc=t["correct"] / d, pred_differs=t["pred_differs"] / d,
            scores_differ=t["scores_differ"] / d, analog_macs=t["analog_macs"] / d,
            spikes_per_step=[float(v) / d for v in t["step_spikes"]],
            count_differs=[float(c) / (d * nn) for c, nn in zip(t["count_differs"], firing)],
            **work(t))
    return out


# -- the unevenness gap of the shipped rate variants ---------------------------------------------

def rate_variants(nets_dir=NETS_DIR):
    """Stems of the rate-coded variant files ``<base>-rate-t<T>.json`` in ``nets_dir``, by base
    and T."""
    stems = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(nets_dir, "*-rate-t*.json"))]

    def key(s):
        base, t = s.rsplit("-rate-t", 1)
        return (base, int(t) if t.isdigit() else 0)
    return sorted(stems, key=key)


def _sources_hash(path, extra=""):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("timestep.py", "dense.py", "contract.py", "floatnet.py", "data.py"):
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    h.update(extra.encode())
    return h.hexdigest()[:16]


def cached(path, split="heldout", limit=None, *, modes=INPUT_MODES, steps=None, cache=True):
    """``compare`` of the network file ``path`` on a data set split (plus its float ANN's
    accuracy), stored in build/timestep/ keyed by the file, the model sources, split, limit,
    modes and steps, and reused when ``cache``."""
    try:
        net = network.load(path)
    except network.NetworkError as exc:
        raise TimestepError(str(exc)) from None
    for m in modes:
        check(net, steps, m)
    stem = os.path.basename(path)[:-5]
    key = _sources_hash(path, f"{split}:{limit}:{','.join(modes)}:{steps}")
    cf = os.path.join(CACHE_DIR, f"{stem}-{key}.json")
    if cache and os.path.isfile(cf):
        with open(cf) as f:
            return json.load(f)
    dataset = net.meta.get("dataset") or data.dataset_of(stem)
    x, y = data.load(dataset, split, net.input_shape)
    if limit:
        x, y = x[:limit], y[:limit]
    res = compare(net, x, y, modes=modes, steps=steps)
    res.update(net=stem, file=os.path.relpath(path, REPO), split=split)
    try:
        res["float_acc"] = float((floatnet.predict(floatnet.load(path, dataset), x) == y).mean())
    except floatnet.FloatModelUnavailable:
        res["float_acc"] = None
    if cache:
        atomic_write(cf, json.dumps(res))
    return res


def base_limit(stem):
    """Default number of images of a variant (``BASE_LIMITS`` of its base; None: all)."""
    return BASE_LIMITS.get(stem.rsplit("-rate-t", 1)[0])


def gap_rows(stems=None, split="heldout", limit=None, cache=True, log=None):
    """``cached`` of every rate variant (default: all in nets/) on ``limit`` images (default:
    ``base_limit``); a variant whose data set is not here gives a row with ``missing`` set."""
    rows = []
    for stem in rate_variants() if stems is None else stems:
        path = os.path.join(NETS_DIR, stem + ".json")
        try:
            r = cached(path, split, limit or base_limit(stem), cache=cache)
        except data.DatasetUnavailable as exc:
            rows.append({"net": stem, "missing": str(exc).splitlines()[0]})
            continue
        if log:
            log(json.dumps(r))
        rows.append(r)
    return rows


def _pct(v, d=2):
    return "-" if v is None else f"{100 * v:.{d}f}"


def gap_markdown(rows):
    """The unevenness table: count scheme (= quantised ANN) against the time-stepped SNN."""
    L = ["| network | T | images | float ANN % | count scheme = quantised ANN % | "
         "time-stepped, encoder input % | gap (pts) | predictions differ % | "
         "time-stepped, analog input % | gap (pts) | predictions differ % | "
         "spikes/image count | spikes/image time-stepped (encoder) | "
         "neurons whose count differs % (encoder, per firing layer) |",
         "|" + "---|" * 14]
    for r in rows:
        if "missing" in r:
            L.append(f"| {r['net']} | - | - | - | - | - | - | - | - | - | - | - | - | - |"
                     f"  <!-- {r['missing']} -->")
            continue
        e, c = r["timestepped"]["encoder"], r["timestepped"].get("current")
        cells = [r["net"], r["T"], r["images"], _pct(r.get("float_acc")), _pct(r["count_acc"]),
                 _pct(e["acc"]), f"{100 * (e['acc'] - r['count_acc']):+.2f}",
                 _pct(e["pred_differs"])]
        cells += ([_pct(c["acc"]), f"{100 * (c['acc'] - r['count_acc']):+.2f}",
                   _pct(c["pred_differs"])] if c else ["-", "-", "-"])
        cells += [f"{r['count']['spikes']:.1f}", f"{e['spikes']:.1f}",
                  ", ".join(_pct(v, 1) for v in e["count_differs"])]
        L.append("| " + " | ".join(str(v) for v in cells) + " |")
    L += ["", "Count scheme: `golden.dense` in rate coding (each layer integrates all its input, "
          "then fires N = clip(floor(U/Θ), 0, T)), equal to the quantised ANN by the contract. "
          "Time-stepped: `golden.timestep` (IF neurons, initial membrane Θ/2, reset by "
          "subtraction, all layers one step at a time, T steps, classifier membranes summed over "
          "the steps). Encoder input: an IF neuron per pixel whose spike count equals the count "
          "scheme's input count, so the gap is the hidden layers' unevenness error alone. Analog "
          "input: the QCFS paper's constant current x/255 into the first layer at every step "
          "(input not quantised to T levels). Gap = time-stepped minus count scheme accuracy; "
          "predictions differ = images whose time-stepped class differs from the count "
          "scheme's. Float ANN: the BN-folded float network the variant was fine-tuned from. "
          "Spikes include the input encoder's (none in analog mode). Images: the first ones of "
          "the held-out split, all unless the column says fewer.", ""]
    return "\n".join(L)


def _table(r):
    rows = [("network", r["net"]), ("images", f"{r['images']} ({r.get('split', '-')})"),
            ("T / time steps run", f"{r['T']} / {r['steps']}"),
            ("float ANN accuracy %", _pct(r.get("float_acc"))),
            ("count scheme (= quantised ANN) accuracy %", _pct(r["count_acc"])),
            ("count scheme spikes / synops per image",
             f"{r['count']['spikes']:.1f} / {r['count']['synops']:.0f}")]
    for m, t in r["timestepped"].items():
        rows += [(f"time-stepped ({m} input) accuracy %", _pct(t["acc"])),
                 ("  predictions / scores differ from the count scheme %",
                  f"{_pct(t['pred_differs'])} / {_pct(t['scores_differ'])}"),
                 ("  spikes / synops per image", f"{t['spikes']:.1f} / {t['synops']:.0f}"
                  + (f" (+ {t['analog_macs']:.0f} first-layer MACs)" if t["analog_macs"] else
                     "")),
                 ("  spikes per step", ", ".join(f"{v:.1f}" for v in t["spikes_per_step"])),
                 ("  neurons whose count differs %, per firing layer",
                  ", ".join(_pct(v, 2) for v in t["count_differs"]))]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.timestep",
                            description=__doc__.split("\n")[0])
    ap.add_argument("--net", help="a rate-coded network (name or .json path)")
    ap.add_argument("--input", choices=INPUT_MODES, action="append",
                    help="input presentation (repeatable; default: both)")
    ap.add_argument("--split", default="heldout", choices=data.SPLITS)
    ap.add_argument("--limit", type=cli.count(1), help="only the first N images of the split "
                    "(--gap default: all, but " + ", ".join(f"{k}: {v}" for k, v in
                                                            BASE_LIMITS.items()) + ")")
    ap.add_argument("--steps", type=cli.count(1, contract.T_MAX),
                    help="--net: run this many time steps (default: the network's T)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--gap", action="store_true",
                    help="write the unevenness table of every rate variant in nets/ (--out)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "timestep_gap.md"),
                    help="--gap output file")
    ap.add_argument("--no-cache", action="store_true", help="recompute (results are cached in "
                    "build/timestep/, keyed by the network file and the model sources)")
    args = ap.parse_args(argv)
    if args.gap == bool(args.net):
        ap.error("give either --net NAME or --gap")
    if args.gap and args.steps:
        ap.error("--steps goes with --net (the gap table runs every network's own T)")
    modes = tuple(dict.fromkeys(args.input)) if args.input else INPUT_MODES
    try:
        if args.gap:
            cli.check_output(args.out)
            text = gap_markdown(gap_rows(split=args.split, limit=args.limit,
                                         cache=not args.no_cache))
            atomic_write(args.out, text)
            print(text)
            return 0
        path = resolve(args.net)
        if not os.path.isfile(path):
            raise TimestepError(f"unknown network {args.net!r}: {path} not found")
        res = cached(path, args.split, args.limit, modes=modes, steps=args.steps,
                     cache=not args.no_cache)
    except (TimestepError, data.DatasetUnavailable, data.UnknownDataset,
            contract.ContractError, OSError) as exc:
        return cli.fail(ap.prog, exc)
    print(json.dumps(res) if args.json else _table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
