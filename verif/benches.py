"""Component testbenches written once, run under Amaranth's simulator and under cocotb.

Each bench is a ``build(seed, **opts) -> (component, params)`` (deterministic in its arguments,
so the cocotb side rebuilds the very component whose Verilog it simulates) and an ``async``
body ``body(io, params) -> stats`` written against ``verif.simio.SimIO``. A body raises
``verif.scoreboard.Mismatch`` at the first difference from its reference model, which always
comes from ``golden/`` (``contract``, ``event.fanout_range``) or, for a memory layout, from the
one function that documents it here.

``tests/rtl/test_*.py`` run the bodies under Amaranth's simulator (``simio.run_amaranth``) over
many parameters; ``verif/tb_components.py`` runs the same bodies under Icarus and Verilator
(``verif/test_cocotb.py``, ``make sim TEST=...``).

weight_decoder  exhaustive: every 5-bit code x every value of the k port.
fire_unit       U at and around every threshold edge of every step, random U and Theta.
neuron_core     host weight loads, random synaptic operations (bubbles, back-to-back and
                two-back hits on one membrane), then a fire scan in random groups with random
                pipeline freezes; several rounds (the clear after fire is checked too).
spike_router    events on conv geometries (kernel 1..5, stride 1..2, padding 0..2) and dense
                layers, random valid and ready: the exact sequence of (waddr, maddr, k).
spike_buffer    random writes with gaps, read-out with random ready, replay, clear mid-read.
input_encoder   every pixel value, random valid and ready.
spike_emitter   groups of lanes with random masks, random ``out`` ready: order, tag, stall.
earliest_spike_pool  random windows with random freezes: the earliest spike of each.
param_memory    host writes of either half, reads with random enable: latency, hold, limits.
layer_sequencer the phase FSM and the fire scan of a random network's descriptors, random
                emitter stalls: addresses, parameter reads/loads and stage tags in order.
"""

import collections
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from golden import contract
from golden.event import fanout_range

from .scoreboard import Mismatch

__all__ = ["Bench", "BENCHES", "router_bundles", "router_config", "random_router_geometries",
           "event_config"]


@dataclass(frozen=True)
class Bench:
    name: str
    build: object      # (seed, **opts) -> (component, params)
    body: object       # async (io, params) -> stats dict
    clocked: bool = True


def _rng(seed, stream):
    return np.random.default_rng([int(seed), stream])


def event_config(*, c_bits=4, y_bits=3, x_bits=3, T=8):
    """The fields of a config that ``rtl.events.event_layout`` reads."""
    return SimpleNamespace(c_bits=c_bits, y_bits=y_bits, x_bits=x_bits, T=T)


# -- weight decoder ---------------------------------------------------------------------------

def build_weight_decoder(seed, *, T=16, F=None):
    from rtl.weight_decoder import WeightDecoder
    F = contract.min_frac_bits("ttfs", T) if F is None else F
    comp = WeightDecoder(frac_bits=F, time_bits=contract.time_bits(T))
    return comp, {"F": F, "T": T}


async def weight_decoder(io, p):
    F, T = p["F"], p["T"]
    shift_w = len(io.component.shift)
    checked = 0
    for code in range(1 << contract.CODE_BITS):
        for k in range(1 << len(io.component.k)):
            io.set("code", code)
            io.set("k", k)
            sign, shift, zero = [await io.get(n) for n in ("sign", "shift", "zero")]
            e = int(contract.code_exponent(code))
            want_sign = int(contract.code_sign(code))
            want_zero = int(e == contract.ZERO_EXP)
            problems = []
            if sign != want_sign:
                problems.append(f"sign {sign} (expected {want_sign})")
            if zero != want_zero:
                problems.append(f"zero {zero} (expected {want_zero})")
            if not want_zero and k < T:
                want_shift = int(contract.synapse_shift(e, k, F))
                if shift != want_shift:
                    problems.append(f"shift {shift} (expected {want_shift})")
                # the synaptic product: +-(1 << shift) is the code's value in units 2^-(F-k)
                prod = (-1 if sign else 1) * (1 << shift)
                want = int(contract.code_values(code, scale_exp=F - k))
                if prod != want:
                    problems.append(f"product {prod} (expected {want})")
                if want_shift >= 1 << shift_w:
                    problems.append(f"shift port of {shift_w} bits cannot hold {want_shift}")
            if problems:
                raise Mismatch(f"weight_decoder F={F}: code {code} (s={code >> 4}, e={e}), "
                               f"k={k}: " + ", ".join(problems))
            checked += 1
    return {"checked": checked}


# -- fire unit --------------------------------------------------------------------------------

def build_fire_unit(seed, *, T=8, rule="round", threshold_bits=None, membrane_bits=24):
    from rtl.fire_unit import FireUnit
    comp = FireUnit(membrane_bits=membrane_bits, threshold_bits=threshold_bits, steps=T,
                    rule=rule)
    rng = _rng(seed, 5)
    c4 = contract.ttfs_c4(T, rule)
    tmax = 1 << (threshold_bits or 18)
    cases = []
    for theta in [1, 2, 3, tmax - 1] + [int(t) for t in rng.integers(1, tmax, size=40)]:
        for k in range(T):
            # stimuli on both sides of the smallest U that fires at k (the expected k comes
            # from contract.ttfs_fire, not from this edge)
            edge = -(-c4[k] * theta // (4 << k))
            cases += [(edge - 1, theta), (edge, theta), (edge + 1, theta)]
        cases.append((int(rng.integers(-(1 << (membrane_bits - 1)), 1 << (membrane_bits - 1))),
                      theta))
    return comp, {"T": T, "rule": rule, "cases": cases}


async def fire_unit(io, p):
    T, rule = p["T"], p["rule"]
    spec = io.component.limits_spec
    for u, theta in p["cases"]:
        io.set("value", u)
        io.set("limits", spec.of(theta))
        k, spike = await io.get("k"), await io.get("spike")
        want = int(contract.ttfs_fire(u, theta, T, rule))
        if (k, spike) != (want, int(want < T)):
            raise Mismatch(f"fire_unit T={T} {rule}: U={u} Theta={theta}: expected k={want}, "
                           f"observed k={k} spike={spike}")
    return {"checked": len(p["cases"])}


# -- neuron core ------------------------------------------------------------------------------

def build_neuron_core(seed, *, T=4, rule=None, adder="carry", narrow=True, membrane_bits=None,
                      weight_depth=32, membrane_depth=16, rounds=4):
    """``narrow``: parameter fields narrower than the membrane, as the generator makes them
    (else as wide as it allows)."""
    from golden.randnet import random_codes
    from rtl.neuron_core import NeuronCore
    rng = _rng(seed, 1)
    F = contract.min_frac_bits("ttfs", T)
    rule = rule or ("round" if seed % 2 == 0 else "floor")
    mbits = membrane_bits or F + 13
    weights = [int(c) for c in random_codes(rng, weight_depth, zero_frac=0.15)]
    extremes = [0, contract.EXP_MAX, contract.ZERO_CODE, 16, 16 | contract.EXP_MAX,
                16 | contract.ZERO_EXP]  # largest, smallest, zero of both signs
    weights[:len(extremes)] = extremes[:weight_depth]
    tbits, bbits = (F + 2, F) if narrow else (mbits - 1, mbits)
    comp = NeuronCore(membrane_bits=mbits, frac_bits=F, steps=T, rule=rule, weight_init=weights,
                      membrane_depth=membrane_depth, threshold_bits=tbits, bias_bits=bbits,
                      adder=adder)
    return comp, {"seed": seed, "F": F, "T": T, "rule": rule, "weights": weights,
                  "membrane_depth": membrane_depth, "rounds": rounds,
                  "bias_max": 1 << min(bbits - 1, F), "theta_max": min(1 << tbits, 1 << (F + 2))}


async def neuron_core(io, p):
    """Weights loaded through ``weight_load``, random operations with back-to-back hits on one
    membrane (forwarding), then a fire scan with random freezes, one ``param`` (B and the
    limits of Theta) per group; ``value`` is checked VALUE_LATENCY and ``k`` FIRE_LATENCY
    advances after each step, and ``value`` must hold the group's last V while the next
    group's parameters load."""
    from rtl.neuron_core import NeuronCore
    limits_of = _param_limits(io.component, p)
    rng = _rng(p["seed"], 2)
    F, T, rule = p["F"], p["T"], p["rule"]
    weights = list(p["weights"])
    mdepth = p["membrane_depth"]
    latency = NeuronCore.FIRE_LATENCY
    value_at = NeuronCore.VALUE_LATENCY - 1  # index in pipe of the step shown on value
    for name in ("op.valid", "fire_phase", "fire_advance", "fire_valid", "param.valid",
                 "weight_load.valid"):
        io.set(name, 0)
    stats = collections.Counter()
    for rnd in range(p["rounds"]):
        if rnd:  # host weight loads
            for _ in range(int(rng.integers(1, 10))):
                a = int(rng.integers(0, len(weights)))
                v = int(contract.ZERO_CODE if rng.random() < 0.2 else
                        (int(rng.integers(0, 2)) << 4) | int(rng.integers(0, 15)))
                weights[a] = v
                io.set("weight_load.valid", 1)
                io.set("weight_load.payload", {"addr": a, "data": v})
                await io.tick()
                io.set("weight_load.valid", 0)
                await io.tick(int(rng.integers(0, 2)))
        U = [0] * mdepth
        n_ops = int(rng.integers(60, 200))
        hist = []
        sent = 0
        while sent < n_ops:
            valid = rng.random() < 0.8
            if valid:
                r = rng.random()
                if hist and r < 0.45:
                    maddr = hist[-1]
                elif len(hist) > 1 and r < 0.65:
                    maddr = hist[-2]
                else:
                    maddr = int(rng.integers(0, mdepth))
                waddr = int(rng.integers(0, len(weights)))
                k = int(rng.integers(0, T))
                stats["back_to_back_hits"] += int(bool(hist) and hist[-1] == maddr)
                hist.append(maddr)
                U[maddr] += int(contract.synaptic_increment(weights[waddr], k, F))
                io.set("op.payload", {"waddr": waddr, "maddr": maddr, "k": k})
                sent += 1
            io.set("op.valid", int(valid))
            await io.tick()
        io.set("op.valid", 0)
        stats["ops"] += n_ops
        await io.tick(NeuronCore.INTEGRATE_STAGES)
        if await io.get("idle") != 1:
            raise Mismatch(f"neuron_core round {rnd}: idle is 0 {NeuronCore.INTEGRATE_STAGES} "
                           "cycles after the last operation")
        await io.tick()
        # -- fire: groups of steps, each with its own (B, Theta) ------------------------------
        io.set("fire_phase", 1)
        order = [int(a) for a in rng.permutation(mdepth)]
        last = None  # (membrane, B) of the last step of the previous group
        pipe = [None] * latency  # pipe[-1] is the step whose result is on the outputs

        async def fire_cycle(issue):
            nonlocal pipe
            s2, sv = pipe[-1], pipe[value_at]
            adv = rng.random() < 0.7
            io.set("fire_advance", int(adv))
            io.set("fire_valid", int(adv and issue is not None))
            if issue is not None:
                io.set("fire_maddr", issue[0])
            if sv is not None:
                a, b, th = sv
                got_v = await io.get("value")
                if got_v != U[a] + b:
                    raise Mismatch(f"neuron_core round {rnd}: membrane {a} (B={b}): expected "
                                   f"U+B={U[a] + b}, observed value={got_v} at cycle {io.cycle}")
            if s2 is not None:
                a, b, th = s2
                want_v = U[a] + b
                want_k = int(contract.ttfs_fire(want_v, th, T, rule))
                got = (await io.get("k"), await io.get("spike"))
                if got != (want_k, int(want_k < T)):
                    raise Mismatch(f"neuron_core round {rnd}: membrane {a} (B={b}, Theta={th}): "
                                   f"U+B={want_v}: expected k={want_k}, observed k={got[0]} "
                                   f"spike={got[1]} at cycle {io.cycle}")
                stats["fired"] += 1
            await io.tick()
            if adv:
                pipe = [issue] + pipe[:-1]
            return adv

        while order:
            while any(x is not None for x in pipe):
                await fire_cycle(None)
            if last is not None:
                held = await io.get("value")
                if held != U[last[0]] + last[1]:
                    raise Mismatch(f"neuron_core round {rnd}: value did not hold the group's "
                                   f"last U+B={U[last[0]] + last[1]} (membrane {last[0]}), "
                                   f"observed {held} at cycle {io.cycle}")
                await io.tick()
            b = int(rng.integers(-p["bias_max"], p["bias_max"]))
            th = int(rng.integers(1, p["theta_max"]) if rng.random() < 0.5 else
                     rng.integers(max(1, p["theta_max"] >> 4), p["theta_max"]))
            io.set("param.valid", 1)
            io.set("param.payload", {"bias": b, "limits": limits_of(th)})
            io.set("fire_advance", 0)
            io.set("fire_valid", 0)
            await io.tick()
            io.set("param.valid", 0)
            n = int(rng.integers(1, 6))
            group, order = order[:n], order[n:]
            last = (group[-1], b)
            while group:
                if await fire_cycle((group[0], b, th)):
                    group.pop(0)
        while any(x is not None for x in pipe):
            await fire_cycle(None)
        io.set("fire_phase", 0)
        io.set("fire_advance", 0)
        io.set("fire_valid", 0)
        await io.tick()
    return dict(stats)


def _param_limits(comp, p):
    """Theta -> the ``limits`` field of a core's ``param`` (``FireLimits.of``)."""
    from rtl.fire_unit import FireLimits
    payload = comp.signature.members["param"].signature.members["payload"].shape
    tbits = payload["limits"].shape.elem_shape.width - 2
    spec = FireLimits(threshold_bits=tbits, steps=p["T"], rule=p["rule"])
    return spec.of


# -- spike router -----------------------------------------------------------------------------

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


def spike_router_component(cfg):
    from rtl.events import event_layout
    from rtl.neuron_core import op_layout
    from rtl.spike_router import SpikeRouter, descriptor_layout
    ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                    time_bits=cfg.k_bits)
    return SpikeRouter(cfg, event_layout(cfg), ops, descriptor_layout(cfg))


def build_spike_router(seed, *, geometries=24, events=12):
    """One router compiled for ``geometries`` random layers (layer 0 is the width envelope);
    up to ``events`` random events on each."""
    rng = _rng(seed, 3)
    geoms = random_router_geometries(rng, geometries)
    cfg = router_config(geoms)
    layers = [(i + 1, random_events(rng, d, int(rng.integers(1, events + 1)), cfg.T))
              for i, d in enumerate(geoms)]
    return spike_router_component(cfg), {"seed": seed, "config": cfg, "layers": layers}


async def spike_router(io, p):
    """For each (layer, events) of ``p["layers"]``: the layer's descriptor on ``desc``, the
    events with random valid, random ``ops`` ready; the exact bundle sequence."""
    from rtl.spike_router import descriptor_value
    rng = _rng(p["seed"], 30)
    cfg = p["config"]
    io.set("events.valid", 0)
    io.set("ops.ready", 0)
    total = collections.Counter()
    for li, events in p["layers"]:
        d = cfg.layers[li]
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


# -- spike buffer -----------------------------------------------------------------------------

def build_spike_buffer(seed, *, depth=37, rounds=12, sizes=()):
    """``sizes``: event counts of the first rounds (the others are drawn: 0, 1, full, any)."""
    from rtl.events import event_layout
    from rtl.spike_buffer import SpikeBuffer
    cfg = event_config()
    return SpikeBuffer(event_layout(cfg), depth=depth), {
        "seed": seed, "depth": depth, "rounds": rounds, "sizes": list(sizes), "config": cfg}


async def spike_buffer(io, p):
    rng = _rng(p["seed"], 4)
    cfg, depth = p["config"], p["depth"]
    for name in ("write.valid", "clear", "start", "read.ready"):
        io.set(name, 0)
    moved = 0

    async def read_out(events, rp, abort_at=None):
        """Read everything out; returns the list read (None after a clear at ``abort_at``)."""
        got = []
        io.set("start", 1)
        await io.tick()
        io.set("start", 0)
        n = 0
        while True:
            rdy = rng.random() < rp
            io.set("read.ready", int(rdy))
            clear = abort_at is not None and n == abort_at
            io.set("clear", int(clear))
            valid, done = await io.get("read.valid"), await io.get("done")
            if valid and rdy:
                got.append(await io.get("read.payload"))
            await io.tick()
            n += 1
            if clear:
                io.set("clear", 0)
                state = {s: await io.get(s) for s in ("read.valid", "done", "count")}
                if state != {"read.valid": 0, "done": 1, "count": 0}:
                    raise Mismatch(f"spike_buffer: after clear at cycle {io.cycle}: {state}")
                await io.tick()
                return None
            if done and not valid:
                return got
            if n > 20 * (len(events) + 4):
                raise Mismatch(f"spike_buffer: read-out of {len(events)} events timed out at "
                               f"cycle {io.cycle} ({len(got)} read)")

    for rnd in range(p["rounds"]):
        io.set("clear", 1)
        await io.tick()
        io.set("clear", 0)
        n = (p["sizes"][rnd] if rnd < len(p["sizes"]) else
             int(rng.choice([0, 1, depth, int(rng.integers(0, depth + 1))])))
        events = [{"c": int(rng.integers(0, 1 << cfg.c_bits)),
                   "y": int(rng.integers(0, 1 << cfg.y_bits)),
                   "x": int(rng.integers(0, 1 << cfg.x_bits)),
                   "k": int(rng.integers(0, cfg.T))} for _ in range(n)]
        i = 0
        wp = float(rng.uniform(0.3, 1.0))
        while i < n:
            v = rng.random() < wp
            io.set("write.valid", int(v))
            io.set("write.payload", events[i])
            await io.tick()
            i += int(v)
        io.set("write.valid", 0)
        if await io.get("count") != n:
            raise Mismatch(f"spike_buffer round {rnd}: count {await io.get('count')} after "
                           f"{n} writes (cycle {io.cycle})")
        await io.tick()
        for replay in range(1 + int(rng.random() < 0.3)):
            got = await read_out(events, float(rng.uniform(0.2, 1.0)))
            if got != events:
                i = next((j for j, (a, b) in enumerate(zip(events, got)) if a != b),
                         min(len(events), len(got)))
                exp = events[i] if i < len(events) else None
                obs = got[i] if i < len(got) else None
                raise Mismatch(f"spike_buffer round {rnd} read {replay}: event {i}: expected "
                               f"{exp}, observed {obs} (read {len(got)} of {n}) by cycle "
                               f"{io.cycle}")
            moved += n
        if n > 2 and rng.random() < 0.3:
            await read_out(events, 0.8, abort_at=int(rng.integers(0, n)))
    return {"events": moved}


# -- input encoder ----------------------------------------------------------------------------

def build_input_encoder(seed, *, T=8, rule="round", shape=(4, 8, 8)):
    """256 pixels (the default shape) take every value once, in a random order."""
    from rtl.events import event_layout
    from rtl.input_encoder import InputEncoder
    rng = _rng(seed, 6)
    C, H, W = shape
    n = C * H * W
    pixels = (rng.permutation(256) if n == 256 else rng.integers(0, 256, size=n))
    cfg = event_config(c_bits=max(1, (C - 1).bit_length()), y_bits=max(1, (H - 1).bit_length()),
                       x_bits=max(1, (W - 1).bit_length()), T=T)
    comp = InputEncoder(event_layout(cfg), shape=shape, steps=T, rule=rule)
    return comp, {"seed": seed, "T": T, "rule": rule, "shape": tuple(shape),
                  "pixels": [int(v) for v in pixels]}


async def input_encoder(io, p):
    rng = _rng(p["seed"], 60)
    T, shape, pixels = p["T"], p["shape"], p["pixels"]
    k = contract.encode_input(np.array(pixels).reshape(shape), T, "ttfs", p["rule"]).ravel()
    want = [(*np.unravel_index(i, shape), int(k[i])) for i in range(len(pixels)) if k[i] < T]
    want = [tuple(int(v) for v in w) for w in want]
    io.set("pixels.valid", 0)
    io.set("events.ready", 0)
    io.set("start", 1)
    await io.tick()
    io.set("start", 0)
    got = []
    pos = 0
    while True:
        pv = pos < len(pixels) and rng.random() >= 0.3
        io.set("pixels.valid", int(pv or pos >= len(pixels)))  # offer more than the image
        io.set("pixels.payload", pixels[pos] if pos < len(pixels) else 0)
        rdy = rng.random() < 0.6
        io.set("events.ready", int(rdy))
        taken = await io.get("pixels.ready")
        if pos >= len(pixels) and taken:
            raise Mismatch(f"input_encoder: took a pixel beyond the image's {len(pixels)}")
        if pv and taken:
            pos += 1
        valid = await io.get("events.valid")
        if valid and rdy:
            e = await io.get("events.payload")
            got.append((e["c"], e["y"], e["x"], e["k"]))
        done = await io.get("done")
        await io.tick()
        if pos >= len(pixels) and done and not (valid and not rdy):
            break
        if io.cycle > 20 * len(pixels) + 100:
            raise Mismatch(f"input_encoder: timeout after {pos} pixels, {len(got)} events")
    if got != want:
        i = next((j for j, (a, b) in enumerate(zip(want, got)) if a != b),
                 min(len(want), len(got)))
        raise Mismatch(f"input_encoder T={T} {p['rule']}: event {i}: expected "
                       f"{want[i] if i < len(want) else None}, observed "
                       f"{got[i] if i < len(got) else None} ({len(got)} of {len(want)} events)")
    if await io.get("events.valid"):
        raise Mismatch("input_encoder: an event after the image's last one")
    return {"pixels": len(pixels), "events": len(got)}


BENCHES = {b.name: b for b in (
    Bench("weight_decoder", build_weight_decoder, weight_decoder, clocked=False),
    Bench("fire_unit", build_fire_unit, fire_unit, clocked=False),
    Bench("neuron_core", build_neuron_core, neuron_core),
    Bench("spike_router", build_spike_router, spike_router),
    Bench("spike_buffer", build_spike_buffer, spike_buffer),
    Bench("input_encoder", build_input_encoder, input_encoder),
)}
