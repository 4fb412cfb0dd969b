"""Conversion-aware training (CAT / QCFS) and integer export of the shipped networks (PyTorch).

    python -m golden.train --net digits                  # TTFS, T=8, round rule (defaults)
    python -m golden.train --net mnist-rate-t4           # a variant: coding and T from the name
    python -m golden.train --net digits --T 4 --coding rate --out /tmp/x.json
    python -m golden.train --all                         # regenerate every shipped network

torch is an optional extra (``pip install .[train]``); nothing else in ``golden`` imports it.

Pipeline (DESIGN.md section 2, "Export"):

1. Float ANN ``conv3x3-BN-ReLU-maxpool2-conv3x3-BN-ReLU-maxpool2-linear`` on ``x/255``, AdamW with
   a cosine schedule (MNIST: random shifts of up to 2 px). BN is folded into the convolutions and
   the folded float ANN is saved as ``nets/<base>.float.npz`` (see ``golden.floatnet``).
   Variants (``<base>-<coding>-t<T>``, ``<base>-floor``) start from that saved float ANN.
2. CAT fine-tune of the folded network: ReLU becomes the spiking quantiser with a trainable
   lambda per layer (TTFS: ``lambda 2^-k`` with the thresholds ``c4[k]/4 lambda 2^-k`` of
   ``contract.ttfs_c4``; rate: QCFS ``lambda/T clip(floor(zT/lambda + 1/2), 0, T)`` and average
   pooling), with the QCFS straight-through gradient; inputs are encoded by
   ``contract.encode_input``; weights are 5-bit log codes ``+-alpha 2^-e`` (alpha = max |w| per
   output channel; one alpha for the whole classifier so that its integer scores keep the float
   argmax) with a straight-through estimator.
3. Integer-semantics fine-tune: every step exports the current parameters to integers and runs the
   golden dense model (``golden.dense.run``) on the batch; the torch activations and scores are
   replaced (forward only) by the values of those integer spikes and membranes, and the gradient
   flows through the CAT quantisers. So the trained model *is* the exported integer model.
4. Export: ``Theta = round(lambda_l 2^F / (alpha lambda_{l-1}))`` (rate: rounded to even),
   ``B = round(b 2^F / (alpha lambda_{l-1}))``, ``F = contract.min_frac_bits``; saved with
   ``network.save`` (validating, atomic). A network that does not fit the contract is refused
   with a one-line error and exit status 2, and nothing is written.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from . import cli, contract, data, dense, network
from .nets import NETS_DIR
from .files import atomic_path

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as Fn
except ImportError:  # pragma: no cover
    if __name__ == "__main__":  # the command line: one line, no traceback
        sys.exit(cli.fail("python -m golden.train", "needs PyTorch: pip install "
                          "'torch==2.13.0' (the [train] extra, `make train` installs it)"))
    print("golden.train needs PyTorch: pip install 'torch==2.13.0' (the [train] extra)",
          file=sys.stderr)
    raise

try:
    from tqdm import tqdm
except ImportError:  # pragma: no cover
    def tqdm(it=None, **kw):
        return it

__all__ = ["ARCH", "SETTINGS", "ALL", "parse_name", "FloatANN", "CATNet", "train_float",
           "export_doc", "train_network", "main"]

#: channels of the two conv layers per data set
ARCH = {"digits": (8, 16), "mnist": (16, 32)}
CLASSES = 10

#: training schedule per data set (epochs per phase, batch, learning rates, augmentation)
SETTINGS = {
    "digits": dict(float_epochs=80, cat_epochs=200, int_epochs=10, batch=64, float_lr=3e-3,
                   cat_lr=3e-3, weight_decay=5e-4, cat_weight_decay=0.0, augment=0),
    "mnist": dict(float_epochs=20, cat_epochs=12, int_epochs=2, batch=64, float_lr=3e-3,
                  cat_lr=5e-4, weight_decay=5e-4, cat_weight_decay=0.0, augment=2,
                  variant=dict(cat_epochs=6, int_epochs=1)),
}

#: every shipped network, in regeneration order (a base before its variants)
ALL = ["digits", "digits-ttfs-t2", "digits-ttfs-t4", "digits-ttfs-t6", "digits-rate-t2",
       "digits-rate-t4", "digits-rate-t8", "digits-floor",
       "mnist", "mnist-ttfs-t2", "mnist-ttfs-t4", "mnist-ttfs-t6", "mnist-rate-t2",
       "mnist-rate-t4", "mnist-rate-t8"]

#: lambda initialisation: this percentile of the float ANN's activations of each layer
LAMBDA_PERCENTILE = 99.9


class ExportError(Exception):
    """The trained network does not fit the contract (one-line message)."""


# -- names -----------------------------------------------------------------------------------------

def parse_name(name):
    """``mnist-rate-t4`` -> (base, coding, T, rule); missing parts are None."""
    base = data.dataset_of(name)
    coding = T = rule = None
    for part in name.split("-")[1:]:
        if part in contract.CODINGS:
            coding = part
        elif part in contract.FIRE_RULES:
            rule = part
        elif part.startswith("t") and part[1:].isdigit():
            T = int(part[1:])
        else:
            raise ValueError(f"cannot parse network name {name!r} (part {part!r})")
    return base, coding, T, rule


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


def encode(x, T, coding, rule, dtype=torch.float32):
    """uint8 images -> input activation (lambda_0 = 1) through contract.encode_input."""
    s = contract.spike_value(contract.encode_input(x, T, coding, rule), T, coding)
    norm = float(1 << (T - 1)) if coding == "ttfs" else float(T)
    return torch.from_numpy(s.astype(np.float64) / norm).to(dtype)


def spikes_to_activation(spikes, T, coding):
    """Integer spikes (time k or count) -> activation in units of lambda."""
    s = contract.spike_value(spikes, T, coding)
    norm = float(1 << (T - 1)) if coding == "ttfs" else float(T)
    return torch.from_numpy(s.astype(np.float64) / norm)


# -- float ANN -------------------------------------------------------------------------------------

class FloatANN(nn.Module):
    def __init__(self, channels, hw):
        super().__init__()
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.fc = nn.Linear(c2 * (hw // 4) ** 2, CLASSES)

    def forward(self, x):
        x = Fn.max_pool2d(Fn.relu(self.bn1(self.conv1(x))), 2)
        x = Fn.max_pool2d(Fn.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(x.flatten(1))

    def folded(self):
        """[(kind, weight, bias)] with BN folded: W' = W gamma/sigma, b' = beta - gamma mu/sigma."""
        out = []
        for conv, bn in ((self.conv1, self.bn1), (self.conv2, self.bn2)):
            g = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
            w = conv.weight.detach() * g[:, None, None, None]
            b = bn.bias.detach() - g * bn.running_mean
            out.append(("conv2d", w.clone(), b.clone()))
        out.append(("classifier", self.fc.weight.detach().clone(), self.fc.bias.detach().clone()))
        return out


def save_float(layers, path):
    spec = [{"type": k, "padding": 1 if k == "conv2d" else 0, "pool": k == "conv2d"}
            for k, _, _ in layers]
    arrays = {"spec": np.array(json.dumps(spec))}
    for i, (_, w, b) in enumerate(layers):
        arrays[f"layer{i}.weight"] = w.numpy().astype(np.float32)
        arrays[f"layer{i}.bias"] = b.numpy().astype(np.float32)
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)


def load_float(path):
    z = np.load(path)
    spec = json.loads(str(z["spec"]))
    return [(s["type"], torch.from_numpy(z[f"layer{i}.weight"].astype(np.float32)),
             torch.from_numpy(z[f"layer{i}.bias"].astype(np.float32))) for i, s in enumerate(spec)]


# -- CAT network -----------------------------------------------------------------------------------

class QuantFn(torch.autograd.Function):
    """The spiking quantiser with the QCFS straight-through gradient:
    dQ/dz = 1 on 0 <= z <= lambda, else 0; dQ/dlambda = (Q - z)/lambda inside, 1 above, 0 below."""

    @staticmethod
    def forward(ctx, z, lam, T, coding, c4):
        if coding == "ttfs":
            q = torch.zeros_like(z)
            for k in range(T - 1, -1, -1):
                level = lam * 2.0 ** -k
                q = torch.where(z >= (c4[k] / 4.0) * level, level, q)
        else:
            q = lam / T * torch.clamp(torch.floor(z * T / lam + 0.5), 0, T)
        ctx.save_for_backward(z, lam, q)
        return q

    @staticmethod
    def backward(ctx, g):
        z, lam, q = ctx.saved_tensors
        inside = (z >= 0) & (z <= lam)
        gz = g * inside.to(g.dtype)
        dl = torch.where(inside, (q - z) / lam, (z > lam).to(g.dtype))
        return gz, (g * dl).sum().reshape(lam.shape), None, None, None


def log_quantise(w, per_channel):
    """(value, sign, exponent, alpha): nearest level +-alpha 2^-e in the log2 domain, e in 0..14,
    e = 15 (zero) below alpha 2^-14.5; alpha = max |w| per output channel (or per layer)."""
    a = w.detach().abs()
    if per_channel:
        alpha = a.flatten(1).amax(1)
    else:
        alpha = a.max().expand(w.shape[0])
    alpha = torch.clamp(alpha, min=max(float(alpha.max()) * 1e-6, 1e-30))
    ab = alpha.reshape((-1,) + (1,) * (w.dim() - 1))
    r = torch.log2(ab / torch.clamp(a, min=1e-30))
    e = torch.clamp(torch.round(r), 0, contract.EXP_MAX)
    zero = r > contract.EXP_MAX + 0.5
    e = torch.where(zero, torch.full_like(e, contract.ZERO_EXP), e)
    sign = ((w.detach() < 0) & ~zero).to(torch.int64)
    val = torch.where(zero, torch.zeros_like(w), torch.where(sign == 1, -ab, ab) * 2.0 ** -e)
    return val.to(w.dtype), sign, e.to(torch.int64), alpha


class CATNet(nn.Module):
    """The BN-folded network with spiking quantisers, log weights and trainable lambdas."""

    def __init__(self, layers, T=8, coding="ttfs", rule="round"):
        super().__init__()
        self.kinds = [k for k, _, _ in layers]
        self.weights = nn.ParameterList([nn.Parameter(w.clone().float()) for _, w, _ in layers])
        self.biases = nn.ParameterList([nn.Parameter(b.clone().float()) for _, _, b in layers])
        self.lams = nn.ParameterList([nn.Parameter(torch.tensor(1.0))
                                      for k in self.kinds if k != "classifier"])
        self.T, self.coding, self.rule = T, coding, rule
        self.c4 = contract.ttfs_c4(T, rule) if coding == "ttfs" else None

    def lam(self, i):
        return torch.clamp(self.lams[i], min=1e-3)

    def _linear(self, i, a, quant):
        w = self.weights[i]
        if quant:  # codes chosen in float64 like the export: STE-trapped weights sit exactly
            # on level boundaries, where a float32 log2 could round the other way
            q = log_quantise(w.double(), per_channel=self.kinds[i] != "classifier")[0]
            w = w + (q.to(w.dtype) - w).detach()
        if self.kinds[i] == "conv2d":
            return Fn.conv2d(a, w, self.biases[i], padding=1)
        return Fn.linear(a.flatten(1), w, self.biases[i])

    def _pool(self, a, float_mode=False):
        if float_mode or self.coding == "ttfs":
            return Fn.max_pool2d(a, 2)
        return Fn.avg_pool2d(a, 2)

    def forward_float(self, x01, collect=None):
        """The float ANN (ReLU, max-pool); collect gets each layer's activations."""
        a = x01
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=False)
            if kind == "classifier":
                return z
            a = Fn.relu(z)
            if collect is not None:
                collect.append(a.detach())
            a = self._pool(a, float_mode=True)

    def forward_cat(self, a0):
        """The CAT model: quantised activations and log weights, real-valued lambdas and biases."""
        a = a0
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=True)
            if kind == "classifier":
                return z
            a = self._pool(QuantFn.apply(z, self.lam(i), self.T, self.coding, self.c4))

    def forward_int(self, a0, net, images):
        """Integer semantics: forward values come from golden.dense on the exported ``net``;
        the gradient is that of the CAT model. Returns (logits for the loss, exact scores)."""
        _, res = dense.run(net, images)
        scales = export_scales(self, net.F)
        a = a0
        for i, kind in enumerate(self.kinds):
            z = self._linear(i, a, quant=True)
            if kind == "classifier":
                U = torch.from_numpy(res[i].membrane.astype(np.float64))
                exact = U / torch.from_numpy(scales[i])[None]
                return z + (exact.to(z.dtype) - z).detach(), exact
            lam = self.lam(i)
            q = QuantFn.apply(z, lam, self.T, self.coding, self.c4)
            exact = lam.detach() * spikes_to_activation(res[i].spikes, self.T, self.coding)
            a = self._pool(q + (exact.to(q.dtype) - q).detach())


# -- export ----------------------------------------------------------------------------------------

def frac_bits(coding, T):
    # the shipped architecture pools after every conv, so rate layers read pooled maps
    return contract.min_frac_bits(coding, T, pooled_input=coding == "rate")


def export_scales(model, F):
    """Per layer and output channel: the factor 2^F / (alpha lambda_{l-1}) (rate: times T) that
    maps the layer's real pre-activation z to its integer membrane U."""
    out = []
    lam_prev = 1.0
    for i, kind in enumerate(model.kinds):
        w = model.weights[i].detach().double()
        alpha = log_quantise(w, per_channel=kind != "classifier")[3].numpy()
        s = 2.0 ** F / (alpha * lam_prev)
        out.append(s * (model.T if model.coding == "rate" else 1))
        if kind != "classifier":
            lam_prev = float(model.lam(i).detach().double())
    return out


def export_doc(model, name, meta=None):
    """The network document (golden.network format) of the model's current parameters."""
    T, coding = model.T, model.coding
    F = frac_bits(coding, T)
    layers = []
    lam_prev = 1.0
    for i, kind in enumerate(model.kinds):
        w = model.weights[i].detach().double()
        b = model.biases[i].detach().double().numpy()
        _, sign, e, alpha = log_quantise(w, per_channel=kind != "classifier")
        alpha = alpha.numpy()
        codes = contract.encode_code(sign.numpy(), e.numpy())
        scale = 2.0 ** F / (alpha * lam_prev)
        d = {"type": kind}
        if kind == "conv2d":
            d.update(out_channels=int(w.shape[0]), kernel=int(w.shape[2]), stride=1, padding=1)
        else:
            d["out_features"] = int(w.shape[0])
        d["weights"] = network.codes_to_text(codes)
        d["bias"] = [int(v) for v in np.rint(b * scale)]
        if kind != "classifier":
            lam = float(model.lam(i).detach().double())
            theta = lam * scale
            if coding == "rate":
                theta = 2 * np.maximum(np.rint(theta / 2), 1)
            else:
                theta = np.maximum(np.rint(theta), 1)
            d["threshold"] = [int(v) for v in theta]
            lam_prev = lam
        layers.append(d)
        if kind == "conv2d":
            layers.append({"type": "maxpool2d" if coding == "ttfs" else "avgpool2d"})
    return {"format": network.FORMAT, "name": name, "input_shape": None, "coding": coding,
            "fire_rule": model.rule, "T": T, "F": F, "layers": layers, "meta": meta or {}}


def build(model, name, input_shape, meta=None):
    doc = export_doc(model, name, meta)
    doc["input_shape"] = list(input_shape)
    try:
        return network.build_network(doc)
    except (network.NetworkError, contract.ContractError) as exc:
        raise ExportError(f"{name}: export refused: {exc}") from None


# -- training loops --------------------------------------------------------------------------------

def _batches(n, batch, rng):
    perm = rng.permutation(n)
    return [perm[i:i + batch] for i in range(0, n, batch)]


def _optimizer(params, lr, wd, steps):
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    return opt, sched


def train_float(base, x, y, st, rng, epochs=None, progress=True):
    hw = x.shape[-1]
    model = FloatANN(ARCH[base], hw)
    epochs = st["float_epochs"] if epochs is None else epochs
    steps = epochs * -(-len(x) // st["batch"])
    opt, sched = _optimizer(model.parameters(), st["float_lr"], st["weight_decay"], steps)
    bar = tqdm(total=steps, desc=f"{base} float", disable=not progress, leave=False)
    model.train()
    for _ in range(epochs):
        for idx in _batches(len(x), st["batch"], rng):
            xb = shift_batch(x[idx], rng, st["augment"])
            loss = Fn.cross_entropy(model(torch.from_numpy(xb / 255.0).float()),
                                    torch.from_numpy(y[idx]))
            _step(opt, sched, bar, loss)
    bar.close()
    model.eval()
    return model


def _step(opt, sched, bar, loss):
    """One optimiser and schedule step, with the progress bar."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    bar.update(1)
    bar.set_postfix(loss=f"{loss.item():.3f}")


def init_lambdas(model, x, n=2000):
    acts = []
    with torch.no_grad():
        model.forward_float(torch.from_numpy(x[:n] / 255.0).float(), collect=acts)
    for i, a in enumerate(acts):
        model.lams[i].data.fill_(float(np.percentile(a.numpy(), LAMBDA_PERCENTILE)))


def _param_groups(model, lr):
    return [{"params": list(model.weights), "lr": lr},
            {"params": list(model.biases), "lr": lr, "weight_decay": 0.0},
            {"params": list(model.lams), "lr": lr * 10, "weight_decay": 0.0}]


def train_cat(model, x, y, st, rng, name, input_shape, progress=True, on_switch=None):
    """CAT fine-tune, one AdamW + cosine schedule over cat_epochs + int_epochs epochs; the last
    int_epochs use the integer-semantics forward (the exported integers through golden.dense),
    so the schedule anneals to zero on the exact exported model. ``on_switch()`` is called
    when the integer epochs start."""
    lr, epochs, n_int = st["cat_lr"], st["cat_epochs"] + st["int_epochs"], st["int_epochs"]
    steps = epochs * -(-len(x) // st["batch"])
    opt, sched = _optimizer(_param_groups(model, lr), lr, st["cat_weight_decay"], steps)
    bar = tqdm(total=steps, desc=f"{name} CAT", disable=not progress, leave=False)
    for epoch in range(epochs):
        integer = epoch >= epochs - n_int
        if integer and epoch == epochs - n_int:
            bar.set_description(f"{name} int")
            if on_switch:
                on_switch()
        for idx in _batches(len(x), st["batch"], rng):
            xb = shift_batch(x[idx], rng, st["augment"])
            a0 = encode(xb, model.T, model.coding, model.rule)
            if integer:
                net = build(model, name, input_shape)
                logits, _ = model.forward_int(a0, net, xb)
            else:
                logits = model.forward_cat(a0)
            loss = Fn.cross_entropy(logits, torch.from_numpy(y[idx]))
            _step(opt, sched, bar, loss)
    bar.close()
    if not n_int and on_switch:
        on_switch()


def predict_torch(model, x, mode, net=None, batch=500):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            if mode == "float":
                out.append(model.forward_float(torch.from_numpy(xb / 255.0).float()).argmax(1))
                continue
            a0 = encode(xb, model.T, model.coding, model.rule)
            if mode == "cat":
                out.append(model.forward_cat(a0).argmax(1))
            else:  # the exact scores are float64: their argmax is the integer argmax
                out.append(model.forward_int(a0, net, xb)[1].argmax(1))
    return torch.cat(out).numpy()


def _alpha_summary(model):
    out = []
    for i, kind in enumerate(model.kinds):
        a = log_quantise(model.weights[i].detach().double(), kind != "classifier")[3].numpy()
        out.append({"per": "channel" if kind != "classifier" else "layer",
                    "min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())})
    return out


def train_network(name, T=None, coding=None, rule=None, epochs=None, seed=0, out=None,
                  limit=None, progress=True, float_from=None, log=print):
    """Train and export one network; returns (Network, report dict). Raises ExportError."""
    t_start = time.time()
    base, n_coding, n_T, n_rule = parse_name(name)
    coding = coding or n_coding or "ttfs"
    T = T or n_T or 8
    rule = rule or n_rule or "round"
    variant = name != base
    out = out or os.path.join(NETS_DIR, name + ".json")
    st = dict(SETTINGS[base])
    st.update(st.pop("variant", {}) if variant else {})
    st.pop("variant", None)
    if epochs is not None:  # one number scales every phase (for quick runs and tests)
        st.update(float_epochs=epochs, cat_epochs=epochs, int_epochs=max(1, epochs // 2))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = data.load(base, "train")
    xh, yh = data.load(base, "heldout")
    if limit:
        x, y = x[:limit], y[:limit]
        xh, yh = xh[:limit], yh[:limit]
    input_shape = x.shape[1:]

    # 1. float ANN (or the base's saved one for variants)
    float_path = os.path.join(os.path.dirname(os.path.abspath(out)), base + ".float.npz")
    float_from = float_from or (float_path if variant and os.path.isfile(float_path) else None)
    t0 = time.time()
    if float_from:
        layers = load_float(float_from)
        float_seconds = 0.0
    else:
        fmodel = train_float(base, x, y, st, rng, progress=progress)
        layers = fmodel.folded()
        float_seconds = time.time() - t0
    model = CATNet(layers, T, coding, rule)
    acc_float = float((predict_torch(model, xh, "float") == yh).mean())
    log(f"{name}: float ANN held-out accuracy {acc_float:.4f} ({float_seconds:.0f} s)")

    # 2. CAT fine-tune, 3. integer-semantics fine-tune (the last epochs of the same schedule)
    init_lambdas(model, x)
    t0 = time.time()
    mid = {}

    def on_switch():
        mid["cat_seconds"] = time.time() - t0
        mid["acc_cat"] = float((predict_torch(model, xh, "cat") == yh).mean())
        _, p0 = dense.predict(build(model, name, input_shape), xh)
        mid["acc_int_before"] = float((p0 == yh).mean())
        log(f"{name}: CAT held-out accuracy {mid['acc_cat']:.4f}, exported {mid['acc_int_before']:.4f}"
            f" ({mid['cat_seconds']:.0f} s)")
        mid["t1"] = time.time()

    train_cat(model, x, y, st, rng, name, input_shape, progress, on_switch)
    cat_seconds, acc_cat, acc_int_before = mid["cat_seconds"], mid["acc_cat"], mid["acc_int_before"]
    int_seconds = time.time() - mid["t1"]

    # 4. export and agreement
    net = build(model, name, input_shape)
    _, pred_int = dense.predict(net, xh)
    acc_int = float((pred_int == yh).mean())
    agree = float((predict_torch(model, xh, "int", net) == pred_int).mean())
    agree_cat = float((predict_torch(model, xh, "cat") == pred_int).mean())
    acc_cat_final = float((predict_torch(model, xh, "cat") == yh).mean())
    log(f"{name}: integer held-out accuracy {acc_int:.4f}, torch/golden agreement {agree:.4f} "
        f"(float CAT forward: {agree_cat:.4f}) ({int_seconds:.0f} s)")
    settings = dict(st, seed=seed, T=T, coding=coding, fire_rule=rule,
                    lambda_init_percentile=LAMBDA_PERCENTILE, limit=limit,
                    float_model=os.path.basename(float_from) if float_from else None)
    meta = {
        "dataset": base, "arch": {"conv_channels": list(ARCH[base]), "pool": "2x2",
                                  "classifier_alpha": "per layer", "conv_alpha": "per channel"},
        "float_model": base + ".float.npz",
        "training": settings,
        "lambda": [float(model.lam(i).detach()) for i in range(len(model.lams))],
        "alpha": _alpha_summary(model),
        "heldout": {"images": int(len(yh)), "float_acc": acc_float, "cat_acc": acc_cat,
                    "int_acc_before_int_phase": acc_int_before,
                    "cat_acc_after_int_phase": acc_cat_final, "int_acc": acc_int,
                    "agreement": agree, "agreement_cat_float": agree_cat},
        "seconds": {"float": round(float_seconds, 1), "cat": round(cat_seconds, 1),
                    "int": round(int_seconds, 1), "total": round(time.time() - t_start, 1)},
        "torch": torch.__version__,
    }
    net = build(model, name, input_shape, meta)
    try:
        network.save(net, out)
    except (network.NetworkError, contract.ContractError, OSError) as exc:
        raise ExportError(f"{name}: export refused: {exc}") from None
    if not float_from:
        save_float(layers, float_path)
    log(f"{name}: wrote {out} ({time.time() - t_start:.0f} s)")
    return net, meta


def main(argv=None):
    ap = cli.ArgumentParser(prog="python -m golden.train", description=__doc__.split("\n")[0])
    ap.add_argument("--net", help="network name: digits, mnist, <base>-<coding>-t<T>, "
                                  "<base>-floor")
    ap.add_argument("--all", nargs="?", const="all", choices=("all",) + tuple(ARCH),
                    help="regenerate every shipped network (or those of one data set)")
    ap.add_argument("--list", action="store_true", help="print the names of --all and exit")
    ap.add_argument("--T", type=cli.count(1, contract.T_MAX))
    ap.add_argument("--coding", choices=contract.CODINGS)
    ap.add_argument("--rule", choices=contract.FIRE_RULES)
    ap.add_argument("--epochs", type=cli.count(1),
                    help="epochs of every phase (default: per data set)")
    ap.add_argument("--seed", type=cli.count(0), default=0)
    ap.add_argument("--limit", type=cli.count(1), help="use only the first N images of each split")
    ap.add_argument("--float-from", type=_existing_file,
                    help="start from this .float.npz instead of training")
    ap.add_argument("--out", help="output file (default nets/NAME.json)")
    ap.add_argument("--threads", type=cli.count(1), default=2)
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
    torch.set_num_threads(args.threads)
    names = [n for n in ALL if args.all in ("all", data.dataset_of(n))] if args.all else [args.net]
    for name in names:
        try:
            train_network(name, T=args.T, coding=args.coding, rule=args.rule, epochs=args.epochs,
                          seed=args.seed, out=None if args.all else args.out, limit=args.limit,
                          progress=not args.quiet, float_from=args.float_from)
        except (ExportError, data.DatasetUnavailable, data.UnknownDataset, ValueError) as exc:
            return cli.fail(ap.prog, exc)
    return 0


def _existing_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return text


if __name__ == "__main__":
    sys.exit(main())
