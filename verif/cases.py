"""The cocotb tests: for each, the design (emitted Verilog) and the case the testbench reads.

Component tests (``verif/tb_components.py``, ``COMPONENT_TESTS``): the bodies of
``verif/benches.py``, which ``tests/rtl`` also runs under Amaranth's simulator. Accelerator
tests (``verif/tb_accel.py``, the host of ``verif/host_driver.py``): ``conv_layer``,
``pool_layer``, ``dense_layer`` (a small seeded random network emphasising that layer kind, run
once at full throughput with the phase cycles checked and once with random back-pressure),
``network`` (real held-out images of the shipped ``digits`` network; with ``tie_images`` then
a tie-break run on it with tied classifier rows, loaded through the host port). Processor test
(``verif/tb_processor.py``): ``processor``, the digits image on a capacity preset's processor
behind cocotbext-axi's memory and register master.

``run(test, sim, seed=None, ...)`` builds and runs one test and returns a ``runner.Result``.
Everything random derives from ``seed`` (``SEED`` in the environment overrides the default).
"""

import hashlib

import numpy as np

from . import runner as R

__all__ = ["TESTS", "COMPONENT_TESTS", "LAYER_TESTS", "run", "layer_network",
           "digits_network", "digits_images", "digits_runs", "tied_classifier", "shared_widths"]

COMPONENT_TESTS = ("weight_decoder", "fire_unit", "neuron_core", "neuron_core_prefix",
                   "spike_router", "spike_buffer", "input_encoder", "spike_emitter",
                   "earliest_spike_pool", "param_memory", "layer_sequencer",
                   "axi_burst_reader", "beat_unpacker", "beat_unpacker_wide",
                   "beat_unpacker_narrow", "processor_registers")
#: the component tests CI runs under Verilator too (the others: Icarus only, one compile each
#: of Verilator's slow C++ build saved; ``make sim TEST=... SIM=verilator`` runs any)
VERILATOR_COMPONENT_TESTS = COMPONENT_TESTS[:7] + (
    "axi_burst_reader", "beat_unpacker", "processor_registers")
LAYER_TESTS = ("conv_layer", "pool_layer", "dense_layer")
#: the neuron cores' membrane adder in each layer test's design
ADDER_OF_LAYER_TEST = {"conv_layer": "prefix", "pool_layer": "carry", "dense_layer": "prefix"}
TESTS = COMPONENT_TESTS + LAYER_TESTS + ("network", "processor")


def _h(text):
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# -- component designs --------------------------------------------------------------------------

#: component test -> (bench of ``verif.benches``, its options): the same bodies run under
#: Amaranth's simulator in ``tests/rtl``
COMPONENT_BENCHES = {
    "weight_decoder": ("weight_decoder", {"T": 16, "F": 30}),
    "fire_unit": ("fire_unit", {"T": 8, "rule": "round", "threshold_bits": 18}),
    "neuron_core": ("neuron_core", {}),
    "neuron_core_prefix": ("neuron_core", {"adder": "prefix"}),
    "spike_router": ("spike_router", {}),
    "spike_buffer": ("spike_buffer", {}),
    "input_encoder": ("input_encoder", {"T": 8, "rule": "floor"}),
    "spike_emitter": ("spike_emitter", {"lanes": 4}),
    "earliest_spike_pool": ("earliest_spike_pool", {"lanes": 3, "T": 6}),
    "param_memory": ("param_memory", {}),
    "layer_sequencer": ("layer_sequencer", {"P": 3}),
    # the memory master against cocotbext-axi's AxiRamRead: two bursts in flight, the most the
    # reader may have, so that the limit is reached
    "axi_burst_reader": ("axi_burst_reader", {"data_bits": 64, "max_bursts": 2,
                                              "max_burst_beats": 16, "requests": 16,
                                              "max_length": 3000}),
    # 40-bit weight rows over 64 bits; 512-bit descriptors over 32; 8-bit pixels over 128
    "beat_unpacker": ("beat_unpacker", {"data_bits": 64, "unit_bits": 40}),
    "beat_unpacker_wide": ("beat_unpacker", {"data_bits": 32, "unit_bits": 512,
                                             "requests": 8, "max_units": 3}),
    "beat_unpacker_narrow": ("beat_unpacker", {"data_bits": 128, "unit_bits": 8}),
    "processor_registers": ("processor_registers", {}),
}


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
    from golden.network import NetworkError
    for _ in range(200):
        drawn = layer_spec(kind, rng, T=T, rule=rule)
        if drawn is None:
            continue
        in_shape, spec, T_, rule_, P = drawn
        try:
            nets = [G.random_network(rng, in_shape, spec, T=T_, fire_rule=rule_,
                                     name=f"rand-{kind}") for _ in range(1 + siblings)]
        except NetworkError:  # an invalid random draw: draw again
            continue
        return (nets if siblings else nets[0]), P
    raise RuntimeError(f"could not draw a valid {kind} network")


def digits_network():
    """The shipped default network (``nets/digits.json``). A missing or malformed file raises
    ``golden.network.NetworkError``: the tests that need it fail, never run on a stand-in."""
    from golden import network
    return network.load("digits")


def digits_images(n, offset=0, split="heldout"):
    """(images, labels) of a digits split: ``n`` images from ``offset`` on (wrapping around).
    The digits data come with scikit-learn, a core dependency: if they cannot be loaded the
    error propagates (no stand-in images)."""
    from golden import data
    x, y = data.load("digits", split)
    idx = [(offset + i) % len(x) for i in range(n)]
    return x[idx], y[idx]


def digits_runs(n, offset=0):
    """Runs of n real images: the held-out split first, then (beyond its size) the training
    split, as separate runs so accuracy is reported per split."""
    from golden.data import DIGITS_HELDOUT
    x, y = digits_images(min(n, DIGITS_HELDOUT - offset) if n > 0 else 0, offset)
    runs = [{"name": "heldout", "images": x.tolist(), "labels": [int(v) for v in y],
             "cycles": True}]
    rest = n - len(x)
    if rest > 0:
        xt, yt = digits_images(rest, 0, "train")
        runs.append({"name": "train", "images": xt.tolist(), "labels": [int(v) for v in yt],
                     "cycles": True})
    return runs


def tied_classifier(net, *, name=None):
    """``net`` with every classifier row a copy of class 1's weights and bias, and class 0 one
    bias unit below them: on every image the top score is shared by classes 1..N-1 and class 0
    is just under it, so the contract's tie-break (lowest class wins) predicts 1, while a
    ``>=`` argmax would predict N-1 and one that ignores class 0's first place would differ
    too. The same shape and field widths as ``net``: it can be loaded through the host port."""
    import json

    from golden.network import dumps, loads
    doc = json.loads(dumps(net))
    last = doc["layers"][-1]
    n = last["out_features"]
    if n < 3:
        raise ValueError(f"tied_classifier needs 3 or more classes, not {n}")
    fan_in = len(last["weights"]) // n
    last["weights"] = last["weights"][fan_in:2 * fan_in] * n
    b = last["bias"][1]
    if b == min(last["bias"]):  # keep every bias inside the original range
        b = max(last["bias"])
    last["bias"] = [b - 1] + [b] * (n - 1)
    doc["name"] = name or f"{net.name}-tied"
    return loads(json.dumps(doc))


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
    if test in COMPONENT_BENCHES:
        from .benches import BENCHES
        bench, defaults = COMPONENT_BENCHES[test]
        opts = dict(defaults, **opts)
        comp, _ = BENCHES[bench].build(seed, **opts)
        text = R.emit_component(comp, bench)
        case = {"bench": bench, "opts": opts}
        return f"{test}-{_h(text)}", text, bench, "verif.tb_components", test, case
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
                         "labels": [int(v) for v in yb],
                         "ready_prob": float(rng.uniform(0.5, 0.9)),
                         "valid_prob": float(rng.uniform(0.5, 0.9))})
        if opts.get("tie_images"):
            # last (it replaces the memories): the digits network with tied classifier rows,
            # loaded through the host port, checks the RTL argmax's tie-break
            from golden.network import dumps
            tied = R.BUILD / design / "net-tied.json"
            R.write_if_changed(tied, dumps(tied_classifier(net)))
            xt, _ = digits_images(opts["tie_images"], opts.get("offset", 0))
            runs.append({"name": "tie-break", "images": xt.tolist(), "cycles": True,
                         "load": str(tied)})
        case = {"net": net_path, "cores": P, "membrane_bits": cfg.membrane_bits, "runs": runs,
                "keep_going": bool(opts.get("keep_going")), "describe": _describe(net, P)}
        return design, text, "snn_accel", "verif.tb_accel", "accelerator", case
    if test == "processor":
        return _processor_case(test, seed, opts)
    raise KeyError(test)


def _processor_case(test, seed, opts):
    """The processor of a capacity preset (``opts["preset"]``, default ``ice40-digits``)
    running the digits network's image on held-out images, its memory and register bus with
    random timing (``verif.tb_processor``)."""
    from gen.processor import TOP
    from golden.capacity import preset
    from golden.network import dumps
    from rtl.processor import Processor
    from rtl.processor_config import ProcessorConfig
    capacity = preset(opts.get("preset", "ice40-digits"))
    text = R.emit_component(Processor(ProcessorConfig(capacity)), TOP)
    design = f"{test}-{capacity.name}-{_h(text)}"
    net = digits_network()
    net_path = R.BUILD / design / "net.json"
    R.write_if_changed(net_path, dumps(net))
    rng = np.random.default_rng([seed, 13])
    images, _ = digits_images(opts.get("images", 3), opts.get("offset", 0))
    case = {"preset": capacity.name, "net": str(net_path), "images": images.tolist(),
            "image_base": 0x10000, "input_base": 0x40,
            "memory_bytes": 1 << 20, "pause_prob": float(rng.uniform(0.1, 0.5)),
            "latency_prob": float(rng.uniform(0.1, 0.5)), "max_cycles": 10**6,
            "describe": f"{capacity.name}: {_describe(net, capacity.cores)}"}
    return design, text, TOP, "verif.tb_processor", "processor", case


def _describe(net, P):
    parts = []
    for layer in net.layers:
        if layer.kind == "conv2d":
            parts.append(f"conv{layer.out_channels}k{layer.kernel}s{layer.stride}"
                         f"p{layer.padding}" + ("+pool" if layer.pool else ""))
        else:
            parts.append(f"{layer.kind}{layer.out_shape[0]}")
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
