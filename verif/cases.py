"""The cocotb tests: for each, the design (emitted Verilog) and the case the testbench reads.

Component tests (``verif/tb_components.py``): ``weight_decoder``, ``neuron_core``,
``spike_router``, ``spike_buffer``. Accelerator tests (``verif/tb_accel.py``): ``conv_layer``,
``pool_layer``, ``dense_layer`` (a small seeded random network emphasising that layer kind, run
once at full throughput with the phase cycles checked and once with random back-pressure),
``network`` (real held-out images of the shipped ``digits`` network).

``run(test, sim, seed=None, ...)`` builds and runs one test and returns a ``runner.Result``.
Everything random derives from ``seed`` (``SEED`` in the environment overrides the default).
"""

import hashlib
from types import SimpleNamespace

import numpy as np

from . import runner as R

__all__ = ["TESTS", "COMPONENT_TESTS", "LAYER_TESTS", "run", "layer_network",
           "digits_network", "digits_images"]

COMPONENT_TESTS = ("weight_decoder", "neuron_core", "neuron_core_prefix", "spike_router",
                   "spike_buffer")
LAYER_TESTS = ("conv_layer", "pool_layer", "dense_layer")
#: the neuron cores' membrane adder in each layer test's design
ADDER_OF_LAYER_TEST = {"conv_layer": "prefix", "pool_layer": "carry", "dense_layer": "prefix"}
TESTS = COMPONENT_TESTS + LAYER_TESTS + ("network",)


def _h(text):
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# -- component designs --------------------------------------------------------------------------

def _duck_config(*, c_bits, y_bits, x_bits, T):
    return SimpleNamespace(c_bits=c_bits, y_bits=y_bits, x_bits=x_bits, T=T)


def _weight_decoder(seed, opts):
    from rtl.weight_decoder import WeightDecoder
    T = opts.get("T", 16)
    F = opts.get("F", 14 + T - 1 + 1)
    from golden import contract
    tb = contract.time_bits(T)
    comp = WeightDecoder(frac_bits=F, time_bits=tb)
    return comp, "weight_decoder", {"F": F, "T": T, "time_bits": tb}


def _neuron_core_prefix(seed, opts):
    comp, _, case = _neuron_core(seed, dict(opts, adder="prefix"))
    return comp, "neuron_core", case


def _neuron_core(seed, opts):
    from golden import contract
    from rtl.neuron_core import NeuronCore
    rng = np.random.default_rng([seed, 1])
    T = opts.get("T", 4)
    F = contract.min_frac_bits("ttfs", T)
    rule = "round" if seed % 2 == 0 else "floor"
    wdepth, pdepth, mdepth = 32, 4, 16
    mbits = 30
    from golden.randnet import random_codes
    weights = [int(c) for c in random_codes(rng, wdepth, zero_frac=0.15)]
    bias = [int(b) for b in rng.integers(-(1 << (F - 1)), 1 << (F - 1), size=pdepth)]
    theta = [int(t) for t in rng.integers(1 << (F - 2), 1 << (F + 2), size=pdepth)]
    # parameter fields narrower than the membrane, as the generator makes them
    tbits, bbits = F + 2, F
    comp = NeuronCore(membrane_bits=mbits, frac_bits=F, steps=T, rule=rule,
                      weight_init=weights, membrane_depth=mdepth, threshold_bits=tbits,
                      bias_bits=bbits, adder=opts.get("adder", "carry"))
    return comp, "neuron_core", {"F": F, "T": T, "rule": rule, "membrane_bits": mbits,
                                 "threshold_bits": tbits, "bias_bits": bbits,
                                 "fire_latency": NeuronCore.FIRE_LATENCY,
                                 "value_latency": NeuronCore.VALUE_LATENCY,
                                 "integrate_stages": NeuronCore.INTEGRATE_STAGES,
                                 "weights": weights, "bias": bias, "threshold": theta,
                                 "membrane_depth": mdepth, "time_bits": contract.time_bits(T)}


#: spike router envelope: every random geometry fits these widths, so one compile serves all
ROUTER_ENV = dict(in_c=8, in_h=15, in_w=15, kernel=5, padding=2, out_h=16, out_w=16, groups=4,
                  positions=256, fan_in=8 * 25, weight_depth=4096, param_depth=64, T=8)


def router_config(layers):
    """A duck-typed config: the widths of ROUTER_ENV, the descriptors ``layers``."""
    from rtl.config import LayerDescriptor
    E = ROUTER_ENV
    env = LayerDescriptor(kind=0, in_c=E["in_c"], in_h=E["in_h"], in_w=E["in_w"],
                          kernel=E["kernel"], stride=2, padding=E["padding"], out_c=E["in_c"],
                          out_h=E["out_h"], out_w=E["out_w"], groups=E["groups"],
                          positions=E["positions"], pool=1, weight_base=0, param_base=0,
                          fan_in=E["fan_in"])
    return SimpleNamespace(layers=[env] + list(layers), weight_depth=E["weight_depth"],
                           param_depth=E["param_depth"], c_bits=(E["in_c"] * 16 - 1).bit_length(),
                           y_bits=(E["in_h"] - 1).bit_length(), x_bits=(E["in_w"] - 1).bit_length(),
                           T=E["T"], membrane_depth=E["groups"] * E["positions"])


def random_router_geometries(rng, n):
    """n random LayerDescriptors (conv: K 1..5, stride 1..2, padding 0..2; dense)."""
    from rtl.config import KIND_CLASSIFIER, KIND_CONV, KIND_DENSE, LayerDescriptor
    E = ROUTER_ENV
    out = []
    while len(out) < n:
        groups = int(rng.integers(1, E["groups"] + 1))
        wbase = int(rng.integers(0, 512))
        if rng.random() < 0.75:
            K = int(rng.integers(1, 6))
            s = int(rng.integers(1, 3))
            p = int(rng.integers(0, min(2, K - 1) + 1))
            c = int(rng.integers(1, 5))
            h = int(rng.integers(1, E["in_h"] + 1))
            w = int(rng.integers(1, E["in_w"] + 1))
            ho, wo = (h + 2 * p - K) // s + 1, (w + 2 * p - K) // s + 1
            if ho < 1 or wo < 1 or ho > E["out_h"] or wo > E["out_w"]:
                continue
            fan = c * K * K
            d = LayerDescriptor(kind=KIND_CONV, in_c=c, in_h=h, in_w=w, kernel=K, stride=s,
                                padding=p, out_c=groups * 2, out_h=ho, out_w=wo, groups=groups,
                                positions=ho * wo, pool=0, weight_base=wbase, param_base=0,
                                fan_in=fan)
        else:
            c = int(rng.integers(1, E["in_c"] + 1))
            h = int(rng.integers(1, 5))
            w = int(rng.integers(1, 5))
            kind = KIND_DENSE if rng.random() < 0.7 else KIND_CLASSIFIER
            d = LayerDescriptor(kind=kind, in_c=c, in_h=h, in_w=w, kernel=1, stride=1,
                                padding=0, out_c=groups * 2, out_h=1, out_w=1, groups=groups,
                                positions=1, pool=0, weight_base=wbase, param_base=0,
                                fan_in=c * h * w)
        out.append(d)
    return out


def _spike_router(seed, opts):
    from rtl.layouts import descriptor_layout, event_layout, op_layout
    from rtl.spike_router import SpikeRouter
    import inspect
    n = opts.get("geometries", 24)
    ops = None
    if "config" in inspect.signature(SpikeRouter.__init__).parameters:
        # the router multiplies by per-layer constants (a case over ``layer``): the random
        # geometries are the layers of its config (layer 0 is the width envelope)
        geoms = random_router_geometries(np.random.default_rng([seed, 3]), n)
        cfg = router_config(geoms)
        ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                        time_bits=3)
        comp = SpikeRouter(cfg, event_layout(cfg), ops, descriptor_layout(cfg))
        per_layer = True
    else:
        cfg = router_config([])
        ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                        time_bits=3)
        comp = SpikeRouter(event_layout(cfg), ops, descriptor_layout(cfg))
        per_layer = False
    return comp, "spike_router", {"geometries": n, "events": opts.get("events", 12),
                                  "per_layer": per_layer}


def _spike_buffer(seed, opts):
    from rtl.layouts import event_layout
    depth = opts.get("depth", 37)
    cfg = _duck_config(c_bits=4, y_bits=3, x_bits=3, T=8)
    comp = SpikeBuffer_(event_layout(cfg), depth)
    return comp, "spike_buffer", {"depth": depth, "rounds": opts.get("rounds", 12)}


def SpikeBuffer_(layout, depth):
    from rtl.spike_buffer import SpikeBuffer
    return SpikeBuffer(layout, depth=depth)


_COMPONENTS = {"weight_decoder": _weight_decoder, "neuron_core": _neuron_core,
               "neuron_core_prefix": _neuron_core_prefix,
               "spike_router": _spike_router, "spike_buffer": _spike_buffer}


# -- accelerator designs ------------------------------------------------------------------------

def layer_spec(kind, rng, *, T=None, rule=None):
    """A random architecture emphasising ``kind`` (conv_layer, pool_layer, dense_layer):
    (input shape, randnet layer spec, T, fire rule, P). May be invalid (see layer_network)."""
    from golden import randnet as G
    T = T or int(rng.choice([2, 3, 4, 6, 8]))
    rule = rule or ("round" if rng.random() < 0.7 else "floor")
    P = int(rng.integers(1, 7))
    if kind == "conv_layer":
        c = int(rng.integers(1, 4))
        h, w = int(rng.integers(3, 10)), int(rng.integers(3, 10))
        spec = []
        shape = (c, h, w)
        for _l in range(2):
            K = int(rng.integers(1, 6))
            s = int(rng.integers(1, 3))
            p = int(rng.integers(0, min(2, K - 1) + 1))
            ho = (shape[1] + 2 * p - K) // s + 1
            wo = (shape[2] + 2 * p - K) // s + 1
            if ho < 1 or wo < 1:
                return None
            co = int(rng.integers(1, 11))
            spec.append(G.conv(co, kernel=K, stride=s, padding=p))
            shape = (co, ho, wo)
        spec.append(G.classifier(int(rng.integers(2, 6))))
        in_shape = (c, h, w)
    elif kind == "pool_layer":
        c = int(rng.integers(1, 3))
        h, w = 2 * int(rng.integers(2, 6)), 2 * int(rng.integers(2, 6))
        K = int(rng.choice([1, 3, 5]))
        spec = [G.conv(int(rng.integers(2, 9)), kernel=K, padding=K // 2), G.pool()]
        if h >= 8 and w >= 8 and rng.random() < 0.6:
            spec += [G.conv(int(rng.integers(2, 9)), kernel=3, padding=1), G.pool()]
        spec.append(G.classifier(int(rng.integers(2, 8))))
        in_shape = (c, h, w)
    elif kind == "dense_layer":
        c = int(rng.integers(1, 3))
        h, w = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        spec = []
        if rng.random() < 0.5:
            spec.append(G.conv(int(rng.integers(1, 5)), kernel=3, padding=1))
        spec += [G.dense_layer(int(rng.integers(3, 24)))]
        if rng.random() < 0.6:
            spec.append(G.dense_layer(int(rng.integers(2, 16))))
        spec.append(G.classifier(int(rng.integers(2, 8))))
        in_shape = (c, h, w)
    else:
        raise ValueError(kind)
    return in_shape, spec, T, rule, P


def layer_network(kind, rng, *, T=None, rule=None, siblings=0):
    """A small random network emphasising ``kind``; returns (network, P), or with
    ``siblings`` > 0 (networks, P): 1 + siblings networks of the same shape."""
    from golden import randnet as G
    for _ in range(200):
        drawn = layer_spec(kind, rng, T=T, rule=rule)
        if drawn is None:
            continue
        in_shape, spec, T_, rule_, P = drawn
        try:
            nets = [G.random_network(rng, in_shape, spec, T=T_, fire_rule=rule_,
                                     name=f"rand-{kind}") for _ in range(1 + siblings)]
        except Exception:  # an invalid random draw: draw again
            continue
        return (nets if siblings else nets[0]), P
    raise RuntimeError(f"could not draw a valid {kind} network")


def digits_network():
    """The shipped default network, or (while it is missing) a random one of its shape."""
    from golden import network
    try:
        return network.load("digits")
    except network.NetworkError:
        from golden import randnet as G
        rng = np.random.default_rng(0)
        return G.random_network(rng, (1, 8, 8), [G.conv(8), G.pool(), G.conv(16), G.pool(),
                                                 G.classifier(10)], name="digits-standin")


def digits_images(n, offset=0, split="heldout"):
    """(images, labels) of a digits split (random images if it is unavailable)."""
    try:
        from golden import data
        x, y = data.load("digits", split)
        idx = [(offset + i) % len(x) for i in range(n)]
        return x[idx], y[idx]
    except Exception:
        from golden import randnet as G
        rng = np.random.default_rng(offset)
        return G.random_images(rng, (1, 8, 8), n), None


def digits_runs(n, offset=0):
    """Runs of n real images: the held-out split first, then (beyond its size) the training
    split, as separate runs so accuracy is reported per split."""
    x, y = digits_images(min(n, _heldout_size() - offset) if n > 0 else 0, offset)
    runs = [{"name": "heldout", "images": x.tolist(),
             "labels": None if y is None else [int(v) for v in y], "cycles": True}]
    rest = n - len(x)
    if rest > 0:
        xt, yt = digits_images(rest, 0, "train")
        runs.append({"name": "train", "images": xt.tolist(),
                     "labels": None if yt is None else [int(v) for v in yt], "cycles": True})
    return runs


def _heldout_size():
    try:
        from golden import data
        return data.DIGITS_HELDOUT
    except Exception:
        return 360


def shared_widths(nets, P):
    """membrane_bits, threshold_bits and bias_bits of one design that runs every network of
    ``nets`` (one built, the others loaded through the host port)."""
    from rtl.config import HardwareConfig
    mbits = max(n.membrane_bits for n in nets)
    needs = [HardwareConfig(n, cores=P, membrane_bits=mbits) for n in nets]
    return {"membrane_bits": mbits, "threshold_bits": max(c.threshold_bits for c in needs),
            "bias_bits": max(c.bias_bits for c in needs)}


def _accel_design(test, net, P, membrane_bits=None, write=True, threshold_bits=None,
                  bias_bits=None, adder="carry"):
    from gen.verilog import build_config, emit
    from golden.network import dumps
    from rtl.top import Accelerator
    cfg = build_config(net, P, trace=True, membrane_bits=membrane_bits,
                       threshold_bits=threshold_bits, bias_bits=bias_bits, adder=adder)
    text = emit(Accelerator(cfg), "snn_accel")
    design = f"{test}-{_h(text)}"
    net_path = R.BUILD / design / "net.json"
    if write:
        R.write_if_changed(net_path, dumps(net))
    return cfg, text, design, str(net_path)


def _runs_layer(rng, net, n_full, n_bp):
    from golden.randnet import random_images
    full = random_images(rng, net.input_shape, n_full)
    bp = random_images(rng, net.input_shape, n_bp)
    return [
        {"name": "full-throughput", "images": full.tolist(), "cycles": True},
        {"name": "back-pressure", "images": bp.tolist(), "cycles": False,
         "ready_prob": float(rng.uniform(0.4, 0.9)), "valid_prob": float(rng.uniform(0.4, 0.9))},
    ]


def prepare(test, seed, opts=None):
    """(design name, verilog, toplevel, cocotb module, testcase, case dict)."""
    opts = dict(opts or {})
    if test in _COMPONENTS:
        comp, top, case = _COMPONENTS[test](seed, opts)
        text = R.emit_component(comp, top)
        return f"{test}-{_h(text)}", text, top, "verif.tb_components", test, case
    if test in LAYER_TESTS:
        from golden.network import dumps
        rng = np.random.default_rng([seed, 7])
        nets, P = layer_network(test, rng, siblings=1)
        fields = shared_widths(nets, P)  # the second network is loaded through the port
        # both membrane adders (FPGA and standard-cell form) run at the accelerator level
        adder = ADDER_OF_LAYER_TEST[test]
        cfg, text, design, net_path = _accel_design(test, nets[0], P, adder=adder, **fields)
        runs = _runs_layer(rng, nets[0], opts.get("images", 2), opts.get("bp_images", 2))
        # a second network of the same shape, written through the host load port
        loaded = R.BUILD / design / "net-loaded.json"
        R.write_if_changed(loaded, dumps(nets[1]))
        more = _runs_layer(rng, nets[1], 1, 1)
        more[0]["load"] = str(loaded)
        for r in more:
            r["name"] = "loaded-" + r["name"]
        runs += more
        case = {"net": net_path, "cores": P, **fields, "adder": adder, "runs": runs,
                "describe": _describe(nets[0], P) + f" adder={adder}"}
        return design, text, "snn_accel", "verif.tb_accel", "accelerator", case
    if test == "network":
        net = digits_network()
        P = opts.get("cores", 8)
        cfg, text, design, net_path = _accel_design(test, net, P)
        n = opts.get("images", 5)
        runs = digits_runs(n, opts.get("offset", 0))
        rng = np.random.default_rng([seed, 11])
        if opts.get("bp_images"):
            xb, yb = digits_images(opts["bp_images"], n + opts.get("offset", 0))
            runs.append({"name": "back-pressure", "images": xb.tolist(), "cycles": False,
                         "labels": None if yb is None else [int(v) for v in yb],
                         "ready_prob": float(rng.uniform(0.5, 0.9)),
                         "valid_prob": float(rng.uniform(0.5, 0.9))})
        case = {"net": net_path, "cores": P, "membrane_bits": cfg.membrane_bits, "runs": runs,
                "keep_going": bool(opts.get("keep_going")), "describe": _describe(net, P)}
        return design, text, "snn_accel", "verif.tb_accel", "accelerator", case
    raise KeyError(test)


def _describe(net, P):
    parts = []
    for l in net.layers:
        if l.kind == "conv2d":
            parts.append(f"conv{l.out_channels}k{l.kernel}s{l.stride}p{l.padding}"
                         + ("+pool" if l.pool else ""))
        else:
            parts.append(f"{l.kind}{l.out_shape[0]}")
    return (f"in{'x'.join(map(str, net.input_shape))} " + "-".join(parts)
            + f" T={net.T} {net.fire_rule} P={P}")


def run(test, sim, *, seed=None, waves=False, **opts):
    """Build and run one test under ``sim``; a ``runner.Result``."""
    if test not in TESTS:
        raise KeyError(f"unknown test {test!r} (known: {', '.join(TESTS)})")
    seed = R.default_seed(test, seed)
    design, text, top, module, testcase, case = prepare(test, seed, opts)
    res = R.run_cocotb(test=test, sim=sim, seed=seed, design=design, verilog=text,
                       toplevel=top, module=module, testcase=testcase, case=case, waves=waves)
    res.stats.setdefault("describe", case.get("describe", ""))
    return res
