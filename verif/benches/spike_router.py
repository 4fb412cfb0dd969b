"""The bench of ``rtl.spike_router`` (see ``verif.benches``)."""


import collections
from types import SimpleNamespace

import numpy as np

from golden import contract
from golden.event import fanout_range

from ..scoreboard import Mismatch
from .common import Bench, _rng


def router_bundles(d, event):
    """The (waddr, maddr, k) bundles of one event ``(c, y, x, k)`` on descriptor ``d``, in the
    router's documented order (oy, ox, then group g innermost): the fan-out of
    ``golden.event.fanout_range`` and the memory layout of ``rtl.config`` (weights of group g
    from ``weight_base + g * fan_in`` in (c, ky, kx) order, membranes ``g * positions + oy *
    W_out + ox``; dense: the input index in (c, y, x) order of the map before flattening)."""
    from rtl.config import KIND_CONV
    c, y, x, k = event
    out = []
    if d.kind == KIND_CONV:
        K, s, p = d.kernel, d.stride, d.padding
        oy0, oy1 = fanout_range(y, p, K, s, d.out_h)
        ox0, ox1 = fanout_range(x, p, K, s, d.out_w)
        for oy in range(oy0, oy1 + 1):
            for ox in range(ox0, ox1 + 1):
                w = int(np.ravel_multi_index((c, y + p - oy * s, x + p - ox * s), (d.in_c, K, K)))
                for g in range(d.groups):
                    out.append((d.weight_base + g * d.fan_in + w,
                                g * d.positions + oy * d.out_w + ox, k))
    else:
        i = int(np.ravel_multi_index((c, y, x), (d.in_c, d.in_h, d.in_w)))
        for g in range(d.groups):
            out.append((d.weight_base + g * d.fan_in + i, g * d.positions, k))
    return out


#: spike router envelope: every random geometry fits these widths, so one compile serves all
ROUTER_ENV = dict(in_c=8, in_h=15, in_w=15, kernel=5, padding=2, out_h=16, out_w=16, groups=4,
                  positions=256, fan_in=8 * 25, weight_depth=4096, param_depth=64, T=8)


def router_config(layers):
    """A config with the widths of ROUTER_ENV (layer 0) and the descriptors ``layers``."""
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
                           T=E["T"], k_bits=contract.time_bits(E["T"]),
                           membrane_depth=E["groups"] * E["positions"])


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
            d = LayerDescriptor(kind=KIND_CONV, in_c=c, in_h=h, in_w=w, kernel=K, stride=s,
                                padding=p, out_c=groups * 2, out_h=ho, out_w=wo, groups=groups,
                                positions=ho * wo, pool=0, weight_base=wbase, param_base=0,
                                fan_in=c * K * K)
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


def random_events(rng, d, n, T):
    return [(int(rng.integers(0, d.in_c)), int(rng.integers(0, d.in_h)),
             int(rng.integers(0, d.in_w)), int(rng.integers(0, T))) for _ in range(n)]


def runtime_descriptor_layout(cfg):
    """The processor's pass descriptor layout with the widths of ``cfg`` (``router_config``)."""
    from rtl.processor_layouts import pass_descriptor_layout
    E = ROUTER_ENV
    return pass_descriptor_layout(max_channels=E["in_c"] * 16, max_map=E["out_h"],
                                  max_kernel=E["kernel"], max_groups=E["groups"],
                                  membrane_words=cfg.membrane_depth,
                                  weight_words=cfg.weight_depth)


def spike_router_component(cfg, *, runtime=False):
    """The router of ``cfg``; ``runtime``: its run-time mode (products by descriptor fields,
    no ``layer`` port), with the processor's descriptor layout."""
    from rtl.layouts import descriptor_layout, event_layout, op_layout
    from rtl.spike_router import SpikeRouter
    ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                    time_bits=cfg.k_bits)
    if runtime:
        return SpikeRouter(None, event_layout(cfg), ops, runtime_descriptor_layout(cfg))
    return SpikeRouter(cfg, event_layout(cfg), ops, descriptor_layout(cfg))


def build_spike_router(seed, *, geometries=24, events=12, runtime=False):
    """One router compiled for ``geometries`` random layers (layer 0 is the width envelope);
    up to ``events`` random events on each. ``runtime``: the run-time mode, which has no
    layer table (the descriptor alone says the geometry)."""
    import dataclasses
    rng = _rng(seed, 3)
    geoms = random_router_geometries(rng, geometries)
    if runtime:  # the processor loads each pass's weights from address 0
        geoms = [dataclasses.replace(d, weight_base=0) for d in geoms]
    cfg = router_config(geoms)
    layers = [(i + 1, random_events(rng, d, int(rng.integers(1, events + 1)), cfg.T))
              for i, d in enumerate(geoms)]
    return (spike_router_component(cfg, runtime=runtime),
            {"seed": seed, "config": cfg, "layers": layers, "runtime": runtime})


async def spike_router(io, p):
    """For each (layer, events) of ``p["layers"]``: the layer's descriptor on ``desc``, the
    events with random valid, random ``ops`` ready; the exact bundle sequence."""
    from rtl.layouts import descriptor_value
    from rtl.processor_layouts import pass_descriptor_value
    rng = _rng(p["seed"], 30)
    cfg = p["config"]
    io.set("events.valid", 0)
    io.set("ops.ready", 0)
    total = collections.Counter()
    for li, events in p["layers"]:
        d = cfg.layers[li]
        if p.get("runtime"):
            io.set("desc", pass_descriptor_value(d))
        else:
            io.set("layer", li)
            io.set("desc", descriptor_value(cfg, d))
        want = [b for e in events for b in router_bundles(d, e)]
        got = []
        vp, rp = float(rng.uniform(0.3, 1.0)), float(rng.uniform(0.3, 1.0))
        pos = quiet = 0
        start = io.cycle
        while quiet <= 2:
            ev_valid = pos < len(events) and rng.random() < vp
            io.set("events.valid", int(ev_valid))
            if pos < len(events):
                c, y, x, k = events[pos]
                io.set("events.payload", {"c": c, "y": y, "x": x, "k": k})
            rdy = rng.random() < rp or pos >= len(events)
            io.set("ops.ready", int(rdy))
            if ev_valid and await io.get("events.ready"):
                pos += 1
            ops_valid = await io.get("ops.valid")
            if rdy and ops_valid:
                o = await io.get("ops.payload")
                got.append((o["waddr"], o["maddr"], o["k"]))
            idle = await io.get("idle") and not ops_valid
            await io.tick()
            quiet = quiet + 1 if pos >= len(events) and idle else 0
            if io.cycle - start > 20 * (len(want) + len(events)) + 100:
                raise Mismatch(f"spike_router layer {li}: timeout ({len(got)}/{len(want)} "
                               "bundles)")
        total["events"] += len(events)
        total["bundles"] += len(got)
        if want != got:
            geo = (f"layer {li}: kind={d.kind} in={d.in_c}x{d.in_h}x{d.in_w} K={d.kernel} "
                   f"s={d.stride} p={d.padding} out={d.out_h}x{d.out_w} groups={d.groups} "
                   f"base={d.weight_base}")
            cw, cg = collections.Counter(want), collections.Counter(got)
            if cw != cg:
                raise Mismatch(f"spike_router {geo}: bundle multiset differs: missing (waddr, "
                               f"maddr, k) {list((cw - cg).elements())[:4]}, unexpected "
                               f"{list((cg - cw).elements())[:4]} (expected {len(want)}, "
                               f"observed {len(got)}) by cycle {io.cycle}; events {events}")
            i = next(j for j, (a, b) in enumerate(zip(want, got)) if a != b)
            raise Mismatch(f"spike_router {geo}: bundle order differs from the documented "
                           f"order at bundle {i}: expected {want[i]}, observed {got[i]}")
    return dict(total)


BENCH = Bench("spike_router", build_spike_router, spike_router)
