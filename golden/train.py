"""Conversion-aware training (CAT / QCFS) and integer export of a network of any architecture.

    python -m golden.train --net digits                  # TTFS, T=8, round rule -> build/nets/
    python -m golden.train --net mnist-vgg16-ttfs-t4     # a variant: coding and T from the name
    python -m golden.train --net mine --data mnist --arch pad=2,c16,c16,p,c32,p,fc10
    python -m golden.train --net digits --replace-shipped   # overwrite nets/digits.json
    python -m golden.train --all --replace-shipped       # regenerate every shipped network
    python -m golden.train --net mnist-sparse --arch mnist --T 4 --activity 2   # fewer spikes
    torchrun --nproc-per-node 2 -m golden.train --net mnist --device cpu   # data parallel

torch is an optional extra (``pip install .[train]``); nothing else in ``golden`` imports it.
Output goes to ``build/nets/<name>.json`` (``--out``) unless ``--replace-shipped``. Training is
reproducible: the same seed, thread count and software give the same file bit for bit.

Pipeline (DESIGN.md section 2, "Export"); the models are in ``golden.catnet``:

1. Float ANN of the architecture (``golden.arch``: conv-BN-ReLU(-maxpool), dense-BN-ReLU,
   linear classifier) on ``x/255``, AdamW with a cosine schedule (MNIST: random shifts of up to
   2 px). BN is folded and the float ANN saved as ``<base>.float.npz`` (``golden.floatnet``).
   Variants (``<base>-<coding>-t<T>``, ``<base>-floor``) start from that saved float ANN.
2. CAT fine-tune: ReLU becomes the spiking quantiser with a trainable lambda per layer,
   initialised at the 99.9th percentile of the layer's float activations and learning 10x faster
   than the weights (TTFS: ``lambda 2^-k`` with the thresholds ``c4[k]/4 lambda 2^-k`` of
   ``contract.ttfs_c4``; rate: QCFS and average pooling), with the QCFS straight-through
   gradient; weights are 5-bit log codes ``+-alpha 2^-e`` (alpha = max |w| per output channel;
   one alpha for the classifier so that its integer scores keep the float argmax) with a
   straight-through estimator.
3. Integer-semantics fine-tune: every step exports the current parameters and runs the golden
   dense model on the batch; the torch forward values are replaced by the integer ones, the
   gradient flows through the CAT quantisers. So the trained model *is* the exported one.
   In phases 2 and 3, optionally (``--activity STRENGTH``, default off), an activity
   regulariser adds ``STRENGTH x spikes per image / 1000`` to the loss: the exact count of
   events the firing layers write to the spike buffer, with a straight-through gradient that
   pushes every pre-activation in 0..lambda down alike (``catnet.SpikeCountFn``), so that
   TTFS networks fire fewer neurons for the same accuracy.
4. Export with ``network.save`` (validating, atomic). A network that does not fit the contract
   is refused with a one-line error and exit status 2, and nothing is written.
"""

import argparse
import os
import sys
import time

import numpy as np

from . import arch as archmod
from . import cli, contract, data, dense, network
from .nets import BUILD_NETS_DIR, NETS_DIR, SHIPPED_ALL

try:
    import torch
    import torch.nn.functional as Fn
except ImportError:  # pragma: no cover
    if __name__ == "__main__":  # the command line: one line, no traceback
        sys.exit(cli.fail("python -m golden.train", "needs PyTorch: pip install "
                          "'torch==2.13.0' (the [train] extra, `make train` installs it)"))
    print("golden.train needs PyTorch: pip install 'torch==2.13.0' (the [train] extra)",
          file=sys.stderr)
    raise

from tqdm import tqdm  # noqa: E402  (a dependency of the train extra)

from . import distributed  # noqa: E402
from .catnet import (  # noqa: E402
    CATNet,
    ExportError,
    FloatANN,
    build,
    encode,
    load_float,
    log_quantise,
    save_float,
)

__all__ = ["SETTINGS", "ALL", "parse_name", "settings_for", "train_float", "train_network",
           "main", "ExportError"]

#: training schedule per architecture, else per data set (epochs per phase, batch, learning
#: rates, augmentation); ``variant`` overrides it for the coding/T variants of a base
SETTINGS = {
    "digits": dict(float_epochs=80, cat_epochs=200, int_epochs=10, batch=64, float_lr=3e-3,
                   cat_lr=3e-3, weight_decay=5e-4, cat_weight_decay=0.0, augment=0),
    "mnist": dict(float_epochs=20, cat_epochs=12, int_epochs=2, batch=64, float_lr=3e-3,
                  cat_lr=5e-4, weight_decay=5e-4, cat_weight_decay=0.0, augment=2,
                  variant=dict(cat_epochs=6, int_epochs=1)),
    # deep networks: CAT at 1e-3 (lambda 1e-2); no integer-semantics epochs, whose golden dense
    # forward of every batch costs more than the CAT epochs on 2 cores
    "mnist-deep": dict(float_epochs=20, cat_epochs=4, int_epochs=0, batch=64, float_lr=2e-3,
                       cat_lr=1e-3, weight_decay=5e-4, cat_weight_decay=0.0, augment=2,
                       variant=dict(cat_epochs=3)),
    "colour": dict(float_epochs=200, cat_epochs=60, int_epochs=2, batch=128, float_lr=1e-3,
                   cat_lr=1e-3, weight_decay=5e-4, cat_weight_decay=0.0, augment=4),
}
_SETTINGS_OF = {"mnist-conv4": "mnist-deep", "mnist-vgg11": "mnist-deep",
                "mnist-vgg16": "mnist-deep", "cifar10": "colour", "cifar100": "colour",
                "tinyimagenet": "colour"}

#: every shipped network, in regeneration order (a base before its variants)
ALL = list(SHIPPED_ALL)

#: float ANN checkpoints of shipped networks (others: a checkpoints/ folder beside the output);
#: ``--float-from`` resumes from one
CHECKPOINT_DIR = os.path.join(os.path.dirname(BUILD_NETS_DIR), "checkpoints")
#: lambda initialisation: this percentile of the float ANN's activations of each layer
LAMBDA_PERCENTILE = 99.9
#: lambda learns this much faster than the weights
LAMBDA_LR_FACTOR = 10


def parse_name(name):
    """``mnist-vgg16-rate-t4`` -> (base, coding, T, rule); missing parts are None."""
    base, coding, T, rule = archmod.split_name(name)
    data.dataset_of(base)  # UnknownDataset for a name that maps to no data set
    return base, coding, T, rule


def settings_for(base, variant):
    key = base if base in SETTINGS else _SETTINGS_OF.get(base, data.dataset_of(base))
    key = _SETTINGS_OF.get(key, key)
    st = dict(SETTINGS[key])
    extra = st.pop("variant", {})
    if variant:
        st.update(extra)
    return st


# -- data ------------------------------------------------------------------------------------------

def shift_batch(x, rng, max_shift):
    """Random translations of up to max_shift pixels (zero fill) of a uint8 batch."""
    if not max_shift:
        return x
    n, _, h, w = x.shape
    p = max_shift
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dy = rng.integers(0, 2 * p + 1, n)
    dx = rng.integers(0, 2 * p + 1, n)
    return np.stack([xp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def _batches(n, batch, rng, dist):
    """Seeded minibatches (``rng``: the same order in every process); under torchrun every
    process takes its share of each batch."""
    perm = rng.permutation(n)
    return [perm[i:i + batch][dist.rank::dist.world] for i in range(0, n, batch)]


# -- training loops --------------------------------------------------------------------------------

def _optimizer(params, lr, wd, steps):
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    return opt, sched


def _step(opt, sched, bar, loss):
    """One optimiser and schedule step, with the progress bar."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    bar.update(1)
    bar.set_postfix(loss=f"{loss.item():.3f}")


def train_float(arch, x, y, st, rng, aug, dist, name="float", progress=True):
    model = FloatANN(arch, x.shape[1:]).to(dist.device)
    wrapped = dist.wrap(model)
    steps = st["float_epochs"] * -(-len(x) // st["batch"])
    opt, sched = _optimizer(model.parameters(), st["float_lr"], st["weight_decay"], steps)
    bar = tqdm(total=steps, desc=f"{name} float", disable=not progress, leave=False)
    model.train()
    for _ in range(st["float_epochs"]):
        for idx in _batches(len(x), st["batch"], rng, dist):
            xb = shift_batch(x[idx], aug, st["augment"])
            logits = wrapped(dist.tensor(xb / 255.0))
            _step(opt, sched, bar, Fn.cross_entropy(logits, dist.tensor(y[idx], torch.int64)))
    bar.close()
    model.eval()
    return model.cpu()


def init_lambdas(model, x, n=2000, batch=250, progress=False):
    """Each lambda at the LAMBDA_PERCENTILE-th percentile of its layer's float activations."""
    acts = None
    with torch.no_grad():
        for i in tqdm(range(0, min(n, len(x)), batch), desc="lambda init", disable=not progress,
                      leave=False):
            got = []
            model.forward_float(torch.from_numpy(x[i:i + batch] / 255.0).float(), collect=got)
            acts = got if acts is None else [torch.cat((a, g)) for a, g in zip(acts, got)]
    for i, a in enumerate(acts):
        model.lams[i].data.fill_(float(np.percentile(a.numpy(), LAMBDA_PERCENTILE)))


def _param_groups(model, lr):
    return [{"params": list(model.weights), "lr": lr},
            {"params": list(model.biases), "lr": lr, "weight_decay": 0.0},
            {"params": list(model.lams), "lr": lr * LAMBDA_LR_FACTOR, "weight_decay": 0.0}]


def train_cat(model, x, y, st, rng, aug, name, input_shape, dist, progress=True,
              on_switch=None):
    """CAT fine-tune, one AdamW + cosine schedule over cat_epochs + int_epochs epochs; the last
    int_epochs use the integer-semantics forward (the exported integers through golden.dense),
    so the schedule anneals to zero on the exact exported model. ``on_switch()`` is called
    when the integer epochs start. ``st["activity"]`` (default 0: off) adds the activity
    regulariser ``activity * spikes per image / 1000`` to the loss (``CATNet.forward``'s
    spike count of the firing layers, input events excluded: the encoder's are fixed)."""
    lr, epochs, n_int = st["cat_lr"], st["cat_epochs"] + st["int_epochs"], st["int_epochs"]
    activity = st.get("activity", 0.0)
    steps = epochs * -(-len(x) // st["batch"])
    model.to(dist.device)
    wrapped = dist.wrap(model)
    opt, sched = _optimizer(_param_groups(model, lr), lr, st["cat_weight_decay"], steps)
    bar = tqdm(total=steps, desc=f"{name} CAT", disable=not progress, leave=False)
    for epoch in range(epochs):
        integer = epoch >= epochs - n_int
        if integer and epoch == epochs - n_int:
            bar.set_description(f"{name} int")
            if on_switch:
                on_switch()
        for idx in _batches(len(x), st["batch"], rng, dist):
            xb = shift_batch(x[idx], aug, st["augment"])
            a0 = encode(xb, model.T, model.coding, model.rule).to(dist.device)
            net = build(model, name, input_shape) if integer else None
            if activity:
                logits, spikes = wrapped(a0, net, xb, activity=True)
            else:
                logits = wrapped(a0, net, xb) if integer else wrapped(a0)
            loss = Fn.cross_entropy(logits, dist.tensor(y[idx], torch.int64))
            if activity:  # the activity regulariser: spikes per image, in thousands
                loss = loss + activity * spikes.mean() / 1000.0
            _step(opt, sched, bar, loss)
    bar.close()
    model.cpu()
    if not n_int and on_switch:
        on_switch()


def predict_torch(model, x, mode, batch=500, progress=False):
    """Predictions of the float ANN (``mode`` float) or of the CAT model (cat)."""
    out = []
    dev = model.weights[0].device
    with torch.no_grad():
        for i in tqdm(range(0, len(x), batch), desc=f"predict {mode}", disable=not progress,
                      leave=False):
            xb = x[i:i + batch]
            if mode == "float":
                out.append(model.forward_float(torch.from_numpy(xb / 255.0).float().to(dev))
                           .argmax(1).cpu())
                continue
            a0 = encode(xb, model.T, model.coding, model.rule).to(dev)
            out.append(model.forward_cat(a0).argmax(1).cpu())
    return torch.cat(out).numpy()


def _alpha_summary(model):
    out = []
    for i, kind in enumerate(model.kinds):
        a = log_quantise(model.weights[i].detach().double(), kind != "classifier")[3].numpy()
        out.append({"per": "channel" if kind != "classifier" else "layer",
                    "min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())})
    return out


def _dense_predict(net, x, progress, batch=250, model=None):
    """golden.dense predictions; with ``model``, also the torch integer-semantics forward's
    predictions from the same dense results (their agreement checks the torch side)."""
    pred, torch_pred = [], []
    for i in tqdm(range(0, len(x), batch), desc="golden dense", disable=not progress,
                  leave=False):
        _, res = dense.run(net, x[i:i + batch])
        pred.append(np.argmax(res[-1].membrane, axis=1))
        if model is not None:
            with torch.no_grad():
                a0 = encode(x[i:i + batch], model.T, model.coding, model.rule)
                torch_pred.append(model.forward_int(a0, net, x[i:i + batch], res)[1]
                                  .argmax(1).numpy())
    return np.concatenate(pred), (np.concatenate(torch_pred) if model is not None else None)


def train_network(name, T=None, coding=None, rule=None, epochs=None, seed=0, out=None,
                  limit=None, progress=True, float_from=None, log=print, arch=None,
                  dataset=None, device="cpu", settings=None, float_pool="max"):
    """Train and export one network; returns (Network, report dict). Raises ExportError.

    ``arch`` is a spec or a name of ``golden.arch.ARCHS`` (default: that of ``name``);
    ``dataset`` defaults to the name's; ``settings`` overrides entries of the schedule."""
    t_start = time.time()
    dist = distributed.setup(device)
    if not dist.main:
        progress = False
        log = lambda *a: None  # noqa: E731
    base, n_coding, n_T, n_rule = archmod.split_name(name)
    dataset = dataset or data.dataset_of(base)
    the_arch = archmod.parse(arch) if arch else archmod.arch_of(name)
    coding = coding or n_coding or "ttfs"
    T = T or n_T or 8
    rule = rule or n_rule or "round"
    variant = name != base
    out = out or os.path.join(BUILD_NETS_DIR, name + ".json")
    st = settings_for(base if base in SETTINGS or base in _SETTINGS_OF else dataset, variant)
    if epochs is not None:  # one number scales every phase (for quick runs and tests)
        st.update(float_epochs=epochs, cat_epochs=epochs, int_epochs=max(1, epochs // 2))
    st.update(settings or {})
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)  # batch order: the same in every process
    aug = np.random.default_rng([seed, dist.rank])  # augmentation: each process its own
    x, y = data.load(dataset, "train")
    xh, yh = data.load(dataset, "heldout")
    if limit:
        x, y = x[:limit], y[:limit]
        xh, yh = xh[:limit], yh[:limit]
    input_shape = the_arch.input_shape(x.shape[1:])
    the_arch.shapes(x.shape[1:])
    the_arch.check_classes(data.CLASSES[dataset])
    x, xh = data.pad_to(x, input_shape), data.pad_to(xh, input_shape)

    # 1. float ANN (or the base's saved one for variants)
    float_path = os.path.join(os.path.dirname(os.path.abspath(out)), base + ".float.npz")
    if variant and not float_from:
        for cand in (float_path, os.path.join(NETS_DIR, base + ".float.npz")):
            if os.path.isfile(cand):
                float_from = cand
                break
    t0 = time.time()
    if float_from:
        layers = load_float(float_from)
        float_seconds = 0.0
        log(f"{name}: float ANN from {float_from}")
    else:
        layers = train_float(the_arch, x, y, st, rng, aug, dist, name, progress).folded()
        float_seconds = time.time() - t0
        if dist.main:  # checkpoint: a later run can start here with --float-from
            folder = (CHECKPOINT_DIR if os.path.abspath(os.path.dirname(out)) == NETS_DIR
                      else os.path.join(os.path.dirname(os.path.abspath(out)), "checkpoints"))
            ckpt = os.path.join(folder, f"{name}-seed{seed}.float.npz")
            save_float(layers, ckpt, the_arch.input_padding)
            log(f"{name}: float ANN checkpoint {ckpt}")
    model = CATNet(layers, T, coding, rule, float_pool=float_pool)
    acc_float = float((predict_torch(model, xh, "float") == yh).mean())
    log(f"{name}: float ANN held-out accuracy {acc_float:.4f} ({float_seconds:.0f} s)")

    # 2. CAT fine-tune, 3. integer-semantics fine-tune (the last epochs of the same schedule)
    init_lambdas(model, x, progress=progress)
    acc_ptq = None
    if dist.main:  # plain conversion: lambda at the percentile, log weights, no CAT
        acc_ptq = float((_dense_predict(build(model, name, input_shape), xh, progress)[0]
                         == yh).mean())
        log(f"{name}: plain conversion (no CAT) held-out accuracy {acc_ptq:.4f}")
    t0 = time.time()
    mid = {}

    def on_switch():
        mid["cat_seconds"] = time.time() - t0
        if dist.main and st["int_epochs"]:  # (without integer epochs: the final figures)
            mid["acc_cat"] = float((predict_torch(model, xh, "cat") == yh).mean())
            p0 = _dense_predict(build(model, name, input_shape), xh, progress)[0]
            mid["acc_int_before"] = float((p0 == yh).mean())
            log(f"{name}: CAT held-out accuracy {mid['acc_cat']:.4f}, exported "
                f"{mid['acc_int_before']:.4f} ({mid['cat_seconds']:.0f} s)")
        mid["t1"] = time.time()

    train_cat(model, x, y, st, rng, aug, name, input_shape, dist, progress, on_switch)
    int_seconds = time.time() - mid["t1"] if st["int_epochs"] else 0.0
    net = build(model, name, input_shape)
    if not dist.main:
        dist.finish()
        return net, {}

    # 4. export and agreement
    pred_int, pred_torch_int = _dense_predict(net, xh, progress, model=model)
    acc_int = float((pred_int == yh).mean())
    agree = float((pred_torch_int == pred_int).mean())
    pred_cat = predict_torch(model, xh, "cat")
    agree_cat = float((pred_cat == pred_int).mean())
    log(f"{name}: integer held-out accuracy {acc_int:.4f}, torch/golden agreement {agree:.4f} "
        f"(float CAT forward: {agree_cat:.4f}) ({int_seconds:.0f} s)")
    settings = dict(st, seed=seed, T=T, coding=coding, fire_rule=rule,
                    lambda_init_percentile=LAMBDA_PERCENTILE, lambda_lr_factor=LAMBDA_LR_FACTOR,
                    limit=limit, processes=dist.world, threads=torch.get_num_threads(),
                    float_model=os.path.basename(float_from) if float_from else None)
    meta = {
        "dataset": dataset,
        "arch": {"spec": the_arch.spec, "conv_layers": the_arch.conv_layers,
                 "input_padding": the_arch.input_padding, "pool": "2x2",
                 "classifier_alpha": "per layer", "conv_alpha": "per channel"},
        "float_model": base + ".float.npz",
        "training": settings,
        "lambda": [float(model.lam(i).detach()) for i in range(len(model.lams))],
        "alpha": _alpha_summary(model),
        "heldout": {"images": int(len(yh)), "float_acc": acc_float, "ptq_acc": acc_ptq,
                    "cat_acc": mid.get("acc_cat", float((pred_cat == yh).mean())),
                    "int_acc_before_int_phase": mid.get("acc_int_before", acc_int),
                    "cat_acc_after_int_phase": float((pred_cat == yh).mean()), "int_acc": acc_int,
                    "agreement": agree, "agreement_cat_float": agree_cat},
        "torch": torch.__version__,
    }
    net = build(model, name, input_shape, meta)
    # wall times go to the log and the returned report, not into the file (same bytes each run)
    seconds = {"float": round(float_seconds, 1), "cat": round(mid["cat_seconds"], 1),
               "int": round(int_seconds, 1)}
    try:
        network.save(net, out)
        if not float_from:
            save_float(layers, float_path, the_arch.input_padding)
    except (network.NetworkError, contract.ContractError, OSError) as exc:
        raise ExportError(f"{name}: export refused: {exc}") from None
    seconds["total"] = round(time.time() - t_start, 1)
    log(f"{name}: wrote {out} (seconds: {seconds})")
    dist.finish()
    return net, dict(meta, seconds=seconds)


def _deterministic(threads):
    """Same seed + software + thread count -> the same bytes. The BLAS under NumPy (the golden
    models) gets the same thread count: on a loaded machine, more threads than free cores
    make both torch and NumPy several times slower (measured here: a 13-layer training step
    0.35 s with 1 thread against 2 s with 2, at a load average of 14 on 2 cores)."""
    torch.set_num_threads(max(1, threads))
    try:
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn
        threadpool_limits(max(1, threads))
    except ImportError:  # pragma: no cover
        pass
    torch.use_deterministic_algorithms(True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.train", description=__doc__.split("\n")[0])
    ap.add_argument("--net", help="network name: digits, mnist, mnist-vgg16, "
                                  "<base>-<coding>-t<T>, <base>-floor, or a new name with --arch")
    ap.add_argument("--arch", help="architecture spec or name (default: that of --net), "
                                   "e.g. pad=2,c16,c16,p,c32,c32,p,fc10")
    ap.add_argument("--data", help="data set (default: the first part of --net)")
    ap.add_argument("--all", nargs="?", const="all", choices=("all",) + data.DATASETS,
                    help="regenerate every shipped network (or those of one data set)")
    ap.add_argument("--list", action="store_true", help="print the names of --all and exit")
    ap.add_argument("--T", type=cli.count(1, contract.T_MAX))
    ap.add_argument("--coding", choices=contract.CODINGS)
    ap.add_argument("--rule", choices=contract.FIRE_RULES)
    ap.add_argument("--epochs", type=cli.count(1),
                    help="epochs of every phase (default: per network)")
    ap.add_argument("--seed", type=cli.count(0), default=0)
    ap.add_argument("--limit", type=cli.count(1), help="use only the first N images of each split")
    ap.add_argument("--float-from", type=_existing_file,
                    help="start from this .float.npz instead of training")
    ap.add_argument("--cat-epochs", type=cli.count(0), help="CAT epochs (0 with --int-epochs 0: "
                                                            "plain conversion of the float ANN)")
    ap.add_argument("--int-epochs", type=cli.count(0), help="integer-semantics epochs")
    ap.add_argument("--activity", type=_strength, default=None,
                    help="activity regulariser: add STRENGTH x spikes per image / 1000 to the "
                         "CAT loss (default: off)")
    ap.add_argument("--out", help=f"output file (default {os.path.relpath(BUILD_NETS_DIR)}/"
                                  "NAME.json)")
    ap.add_argument("--replace-shipped", action="store_true",
                    help="write to nets/ (replaces the shipped network of that name)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (CUDA if present)")
    ap.add_argument("--threads", type=cli.count(1, 256), default=1,
                    help="torch and BLAS threads (default 1: see _deterministic)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.out:
        try:
            cli.check_output(args.out)
        except OSError as exc:
            return cli.fail(ap.prog, exc)
    if args.list:
        print("\n".join(ALL))
        return 0
    if not args.all and not args.net:
        ap.error("give --net NAME or --all")
    if args.out and args.replace_shipped:
        ap.error("--out and --replace-shipped exclude each other")
    _deterministic(args.threads)
    names = [n for n in ALL if args.all in ("all", data.dataset_of(n))] if args.all else [args.net]
    if not names:
        ap.error(f"--all {args.all}: no shipped network of that data set")
    folder = NETS_DIR if args.replace_shipped else BUILD_NETS_DIR
    for name in names:
        out = args.out if args.out and not args.all else os.path.join(folder, name + ".json")
        try:
            train_network(name, T=args.T, coding=args.coding, rule=args.rule, epochs=args.epochs,
                          seed=args.seed, out=out, limit=args.limit, progress=not args.quiet,
                          float_from=args.float_from, arch=args.arch, dataset=args.data,
                          device=args.device, settings={
                              k: v for k, v in (("cat_epochs", args.cat_epochs),
                                                ("int_epochs", args.int_epochs),
                                                ("activity", args.activity))
                              if v is not None})
        except (ExportError, data.DatasetUnavailable, data.UnknownDataset, ValueError,
                distributed.DeviceError) as exc:
            return cli.fail(ap.prog, exc)
    return 0


def _strength(text):
    """Option type of --activity: a finite number >= 0."""
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 <= v < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return v


def _existing_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return text


if __name__ == "__main__":
    sys.exit(main())
