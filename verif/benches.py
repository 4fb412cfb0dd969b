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
    """The fields of a config that ``rtl.layouts.event_layout`` reads."""
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
    for name in ("op.valid", "fire.phase", "fire.advance", "fire.valid", "param.valid",
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
        io.set("fire.phase", 1)
        order = [int(a) for a in rng.permutation(mdepth)]
        last = None  # (membrane, B) of the last step of the previous group
        pipe = [None] * latency  # pipe[-1] is the step whose result is on the outputs

        # defined per round on purpose: it checks this round's U (B023 is about closures that
        # outlive their iteration; this one is awaited within it)
        async def fire_cycle(issue, U=U, rnd=rnd):
            nonlocal pipe
            s2, sv = pipe[-1], pipe[value_at]
            adv = rng.random() < 0.7
            io.set("fire.advance", int(adv))
            io.set("fire.valid", int(adv and issue is not None))
            if issue is not None:
                io.set("fire.maddr", issue[0])
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
            io.set("fire.advance", 0)
            io.set("fire.valid", 0)
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
        io.set("fire.phase", 0)
        io.set("fire.advance", 0)
        io.set("fire.valid", 0)
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
    from rtl.layouts import descriptor_layout, event_layout, op_layout
    from rtl.spike_router import SpikeRouter
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
    from rtl.layouts import descriptor_value
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
    from rtl.layouts import event_layout
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
    from rtl.input_encoder import InputEncoder
    from rtl.layouts import event_layout
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


# -- spike emitter ----------------------------------------------------------------------------

def build_spike_emitter(seed, *, lanes=4, groups=80):
    """Groups with random masks (empty, one lane, every lane), lane payloads and tags."""
    from amaranth.lib import data

    from rtl.spike_emitter import SpikeEmitter
    rng = _rng(seed, 7)
    lane = data.StructLayout({"k": 4})
    tag = data.StructLayout({"g": 3, "y": 3})
    gs = []
    for _ in range(groups):
        mask = int(rng.choice([0, 1 << int(rng.integers(0, lanes)), (1 << lanes) - 1,
                               int(rng.integers(0, 1 << lanes))]))
        gs.append({"mask": mask, "lanes": [{"k": int(v)} for v in rng.integers(0, 16, lanes)],
                   "tag": {"g": int(rng.integers(0, 8)), "y": int(rng.integers(0, 8))}})
    comp = SpikeEmitter(lanes=lanes, lane_layout=lane, tag_layout=tag)
    return comp, {"seed": seed, "lanes": lanes, "groups": gs}


async def spike_emitter(io, p):
    """A group is taken when offered and ``stall`` is 0; its lanes leave on ``out`` lowest
    first, one per cycle ``out`` is ready; ``stall`` is 1 exactly while two or more lanes are
    pending or one is pending and ``out`` is not ready (the documented rule), every cycle."""
    rng = _rng(p["seed"], 70)
    groups = p["groups"]
    want = [(lane, g["tag"], g["lanes"][lane]) for g in groups for lane in range(p["lanes"])
            if g["mask"] >> lane & 1]
    got = []
    pending, current = [], None  # lanes of the group being sent, lowest first
    nxt = 0
    gp, rp = float(rng.uniform(0.4, 1.0)), float(rng.uniform(0.3, 1.0))
    while nxt < len(groups) or pending:
        offer = nxt < len(groups) and rng.random() < gp
        ready = rng.random() < rp
        io.set("group_valid", int(offer))
        if nxt < len(groups):
            g = groups[nxt]
            io.set("group_mask", g["mask"])
            io.set("group_lanes", g["lanes"])
            io.set("group_tag", g["tag"])
        io.set("out.ready", int(ready))
        stall, valid, idle = (await io.get("stall"), await io.get("out.valid"),
                              await io.get("idle"))
        want_stall = int(len(pending) > 1 or (len(pending) == 1 and not ready))
        if (stall, valid, idle) != (want_stall, int(bool(pending)), int(not pending)):
            raise Mismatch(f"spike_emitter: {len(pending)} lanes pending, out.ready={int(ready)}"
                           f": expected stall={want_stall} out.valid={int(bool(pending))} "
                           f"idle={int(not pending)}, observed stall={stall} out.valid={valid} "
                           f"idle={idle} at cycle {io.cycle}")
        if valid and ready:
            o = await io.get("out.payload")
            got.append((o["lane"], o["tag"], o["payload"]))
            exp = (pending[0], current["tag"], current["lanes"][pending[0]])
            if got[-1] != exp:
                raise Mismatch(f"spike_emitter: result {len(got) - 1}: expected (lane, tag, "
                               f"payload) {exp}, observed {got[-1]} at cycle {io.cycle}")
            pending = pending[1:]
        if offer and not stall:
            current = groups[nxt]
            pending = [lane for lane in range(p["lanes"]) if current["mask"] >> lane & 1]
            nxt += 1
        await io.tick()
        if io.cycle > 10 * len(want) + 10 * len(groups) + 100:
            raise Mismatch(f"spike_emitter: timeout, {len(got)} of {len(want)} results")
    if got != want:
        raise Mismatch(f"spike_emitter: {len(got)} results, expected {len(want)}")
    return {"groups": len(groups), "results": len(got)}


# -- earliest-spike pool ----------------------------------------------------------------------

def build_earliest_spike_pool(seed, *, lanes=3, T=6, windows=60):
    """Windows of 4 steps (pooling) or of 1 (``first`` = ``last`` = 1), lane times 0..T
    (T = no spike)."""
    from rtl.max_pool import EarliestSpikePool
    rng = _rng(seed, 8)
    ws = [[[int(v) for v in rng.integers(0, T + 1, lanes)]
           for _ in range(4 if rng.random() < 0.7 else 1)] for _ in range(windows)]
    comp = EarliestSpikePool(lanes=lanes, time_bits=contract.time_bits(T + 1))
    return comp, {"seed": seed, "T": T, "windows": ws}


async def earliest_spike_pool(io, p):
    """Steps with random bubbles (``valid`` = 0) and random freezes (``advance`` = 0), both
    with junk ``k``, ``first`` and ``last``: on the advance that closes a window, ``out_k`` is
    each lane's smallest k over the window's steps; ``out_valid`` = ``valid`` and ``last`` on
    every cycle."""
    rng = _rng(p["seed"], 80)
    T = p["T"]
    steps = [(i == 0, i == len(w) - 1, k, w) for w in p["windows"] for i, k in enumerate(w)]
    pos = closed = 0
    while pos < len(steps):
        adv = rng.random() < 0.7
        valid = rng.random() < 0.75
        first, last, k, window = steps[pos]
        if not (adv and valid):  # a bubble or a frozen cycle: junk that must not be kept
            first, last = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
            k = [int(v) for v in rng.integers(0, T + 1, len(k))]
        io.set("advance", int(adv))
        io.set("valid", int(valid))
        io.set("first", int(first))
        io.set("last", int(last))
        io.set("k", k)
        out_valid = await io.get("out_valid")
        if out_valid != int(valid and last):
            raise Mismatch(f"earliest_spike_pool: out_valid={out_valid} with valid={int(valid)}"
                           f" last={int(last)} at cycle {io.cycle}")
        if adv and valid and last:
            want = [min(col) for col in zip(*window)]
            got = await io.get("out_k")
            if got != want:
                raise Mismatch(f"earliest_spike_pool: window {window}: expected earliest "
                               f"{want}, observed {got} at cycle {io.cycle}")
            closed += 1
        if adv and valid:
            pos += 1
        await io.tick()
    return {"windows": closed}


# -- parameter memory -------------------------------------------------------------------------

def build_param_memory(seed, *, bias_bits=9, threshold_bits=12, T=8, rule="round", depth=24):
    from rtl.param_memory import ParamMemory
    rng = _rng(seed, 9)
    bias = [int(b) for b in rng.integers(-(1 << (bias_bits - 1)), 1 << (bias_bits - 1), depth)]
    theta = [int(t) for t in rng.integers(1, 1 << threshold_bits, depth)]
    comp = ParamMemory(bias_bits=bias_bits, threshold_bits=threshold_bits, steps=T, rule=rule,
                       bias_init=bias, threshold_init=theta)
    return comp, {"seed": seed, "bias": bias, "theta": theta, "bias_bits": bias_bits,
                  "threshold_bits": threshold_bits, "T": T, "rule": rule, "cycles": 600}


async def param_memory(io, p):
    """Host writes of either half (``data`` wider than the field: it is cut to the field) mixed
    with reads with a random enable: the entry read at an enabled cycle (its value at that
    edge) is on ``read_data`` (bias and ``FireLimits.of(Theta)``) after the next enabled
    cycle, and holds while ``read_en`` is 0."""
    from rtl.fire_unit import FireLimits
    from rtl.param_memory import ParamMemory
    rng = _rng(p["seed"], 90)
    bb, tb = p["bias_bits"], p["threshold_bits"]
    half = max(bb, tb)
    limits = FireLimits(threshold_bits=tb, steps=p["T"], rule=p["rule"])
    mem = [list(e) for e in zip(p["bias"], p["theta"])]
    depth = len(mem)
    pipe = [None] * ParamMemory.READ_LATENCY  # entry values read, newest first
    checked = 0
    for _ in range(p["cycles"]):
        en = rng.random() < 0.6
        addr = int(rng.integers(0, depth))
        write = rng.random() < 0.3
        w_entry, w_half, w_data = (int(rng.integers(0, depth)), int(rng.integers(0, 2)),
                                   int(rng.integers(0, 1 << half)))
        io.set("read_en", int(en))
        io.set("read_addr", addr)
        io.set("write.valid", int(write))
        io.set("write.payload", {"entry": w_entry, "half": w_half, "data": w_data})
        if pipe[-1] is not None:
            b, t = pipe[-1]
            want = {"bias": b, "limits": limits.of(t)}
            got = await io.get("read_data")
            if got != want:
                raise Mismatch(f"param_memory: expected read_data {want} (B={b}, Theta={t}), "
                               f"observed {got} at cycle {io.cycle}")
            checked += 1
        await io.tick()
        if en:
            pipe = [tuple(mem[addr])] + pipe[:-1]
        if write:
            if w_half:
                mem[w_entry][1] = w_data & ((1 << tb) - 1)
            else:
                v = w_data & ((1 << bb) - 1)
                mem[w_entry][0] = v - (1 << bb) if v >> (bb - 1) else v
    return {"checked": checked}


# -- layer sequencer --------------------------------------------------------------------------

def fire_scan(d, P):
    """The fire-phase steps of layer descriptor ``d`` on P cores, in the sequencer's documented
    order (group g, pooled row, pooled column, 2x2 window row-major): (membrane address
    ``g * positions + oy * W_out + ox`` of ``rtl.config``, opens a window, closes it, tag)."""
    pool = d.pool
    wins = [(0, 0), (0, 1), (1, 0), (1, 1)] if pool else [(0, 0)]
    out = []
    for g in range(d.groups):
        tag = {"g": g, "lanes": min(d.out_c - g * P, P)}
        for py in range(d.out_h >> pool):
            for px in range(d.out_w >> pool):
                for i, (dy, dx) in enumerate(wins):
                    oy, ox = (py << pool) + dy, (px << pool) + dx
                    out.append((g * d.positions + oy * d.out_w + ox, int(i == 0),
                                int(i == len(wins) - 1), dict(tag, y=py, x=px)))
    return out


def build_layer_sequencer(seed, *, P=3, inferences=2):
    """The sequencer of a random network with every layer kind (conv + pool, strided conv,
    dense, classifier) on P cores (partial channel groups)."""
    from golden import randnet as G
    from rtl.config import HardwareConfig
    from rtl.sequencer import LayerSequencer
    rng = _rng(seed, 10)
    net = G.random_network(rng, (1, 8, 8), [G.conv(5), G.pool(), G.conv(4, 3, 2, 1),
                                            G.dense_layer(7), G.classifier(5)], T=4,
                           calib_images=1)
    cfg = HardwareConfig(net, cores=P)
    return LayerSequencer(cfg), {"seed": seed, "config": cfg, "inferences": inferences}


async def layer_sequencer(io, p):
    """Random encoder, buffer, router and core status and random emitter stalls. Checks the
    phase sequence (IDLE, INPUT, INTEGRATE and FIRE per layer, PREDICT) and the conditions of
    every change; the buffer start/clear pulses; in FIRE, against ``fire_scan``: the membrane
    addresses issued, the stage outputs FIRE_STAGES advances later, and the parameter entry
    each core loads (through a model of ParamMemory's read latency), loaded after the previous
    group's last step used Theta and before the group's first step uses B; the registered
    descriptor and ``classifier``; the prediction handshake."""
    from rtl.layouts import Phase, descriptor_value
    from rtl.neuron_core import NeuronCore
    from rtl.param_memory import ParamMemory
    from rtl.sequencer import FIRE_STAGES
    rng = _rng(p["seed"], 100)
    cfg = p["config"]
    P, L = cfg.cores, len(cfg.layers)
    for name in io.inputs():
        io.set(name, 0)
    stats = collections.Counter()

    def fail(msg):
        raise Mismatch(f"layer_sequencer: {msg} at cycle {io.cycle}")

    async def status():
        st = {n: await io.get(n) for n in (
            "phase", "layer", "read_sel", "start", "clear", "encoder_start", "fire.phase",
            "fire.advance", "fire.valid", "fire.maddr", "param_addr", "param_en", "param_load",
            "stage_valid", "stage_first", "stage_last", "stage_tag", "classifier",
            "predict_valid")}
        st["phase"] = Phase(st["phase"])
        return st

    # -- CLEAR (after reset): every membrane address once through the fire pipeline, then IDLE -
    cleared = []
    while (st := await status())["phase"] == Phase.CLEAR:
        if st["fire.phase"] != 1:
            fail(f"CLEAR without fire.phase: {st}")
        if st["fire.valid"] and st["fire.advance"]:
            cleared.append(st["fire.maddr"])
        if io.cycle > cfg.membrane_depth + 8:
            fail(f"CLEAR still on after {io.cycle} cycles (membrane depth {cfg.membrane_depth})")
        await io.tick()
    if sorted(cleared) != list(range(cfg.membrane_depth)):
        fail(f"CLEAR issued the membrane addresses {cleared}, not 0..{cfg.membrane_depth - 1}")
    stats["clear_cycles"] = io.cycle
    await io.tick()  # the first IDLE cycle was read above: inputs are set in a fresh cycle

    for _ in range(p["inferences"]):
        await io.tick(int(rng.integers(0, 3)))
        # -- IDLE -> INPUT -> INTEGRATE ---------------------------------------------------------
        io.set("pixel_valid", 1)
        st = await status()
        if (st["phase"], st["encoder_start"], st["clear"]) != (Phase.IDLE, 1, 0b01):
            fail(f"a pixel in IDLE: expected encoder_start=1 clear=0b01, observed {st}")
        await io.tick()
        wait = int(rng.integers(0, 6))
        for i in range(wait + 1):
            io.set("pixel_valid", int(rng.random() < 0.5))
            io.set("encoder_done", int(i == wait))
            if Phase(await io.get("phase")) != Phase.INPUT:
                fail(f"expected INPUT ({i} cycles after the start)")
            await io.tick()
        io.set("encoder_done", 0)
        read_sel = 0
        for li, d in enumerate(cfg.layers):
            # -- INTEGRATE: the first cycle starts the read-out; then wait for the status ----------
            st = await status()
            if (st["phase"], st["layer"], st["read_sel"]) != (Phase.INTEGRATE, li, read_sel):
                fail(f"expected INTEGRATE of layer {li} reading buffer {read_sel}, observed {st}")
            if (st["start"], st["clear"]) != (1 << read_sel, 1 << (1 - read_sel)):
                fail(f"layer {li}: first INTEGRATE cycle: start={st['start']} clear="
                     f"{st['clear']}, expected start={1 << read_sel} clear={1 << (1 - read_sel)}")
            await io.tick()
            while True:
                status_in = [int(rng.random() < 0.6) for _ in range(3)]
                for n, v in zip(("read_done", "router_idle", "cores_idle"), status_in):
                    io.set(n, v)
                st = await status()
                if (st["phase"], st["start"], st["clear"]) != (Phase.INTEGRATE, 0, 0):
                    fail(f"layer {li}: expected INTEGRATE without start/clear, observed {st}")
                await io.tick()
                if all(status_in):
                    break
            # -- FIRE ---------------------------------------------------------------------------
            scan = fire_scan(d, P)
            issues, stages, loads = [], [], []
            pm = [None] * ParamMemory.READ_LATENCY  # entries in the parameter read pipeline
            adv_index = 0
            last_emit_idle = None
            while True:
                stall = int(rng.random() < 0.3)
                emit_idle = int(rng.random() < 0.7)
                io.set("emit_stall", stall)
                io.set("emit_idle", emit_idle)
                st = await status()
                if st["phase"] != Phase.FIRE:
                    break
                adv = 1 - stall
                if (st["fire.phase"], st["fire.advance"], st["param_en"]) != (1, adv, adv):
                    fail(f"layer {li}: FIRE with emit_stall={stall}: {st}")
                if st["classifier"] != int(li == L - 1):
                    fail(f"layer {li}: classifier={st['classifier']}")
                if await io.get("desc") != descriptor_value(cfg, d):
                    fail(f"layer {li}: desc is not layer {li}'s descriptor")
                if st["param_load"]:
                    if not adv or st["param_load"] & (st["param_load"] - 1):
                        fail(f"layer {li}: param_load={st['param_load']:b} (advance {adv})")
                    loads.append((adv_index, st["param_load"].bit_length() - 1, pm[-1]))
                if adv:
                    if st["fire.valid"]:
                        issues.append((adv_index, st["fire.maddr"]))
                    if st["stage_valid"]:
                        stages.append((adv_index, st["stage_first"], st["stage_last"],
                                       st["stage_tag"]))
                    pm = [st["param_addr"]] + pm[:-1]
                    adv_index += 1
                last_emit_idle = emit_idle
                await io.tick()
                if io.cycle > 10**6:
                    fail(f"layer {li}: FIRE does not end")
            # left FIRE only after a cycle with the emitter idle, every step out (below)
            if not last_emit_idle:
                fail(f"layer {li}: left FIRE while emit_idle was 0")
            if [a for _, a in issues] != [s[0] for s in scan]:
                fail(f"layer {li}: membrane addresses {[a for _, a in issues][:12]}..., "
                     f"expected {[s[0] for s in scan][:12]}... ({len(issues)} of {len(scan)})")
            if [s[1:] for s in stages] != [s[1:] for s in scan]:
                i = next((j for j, (a, b) in enumerate(zip(stages, scan)) if a[1:] != b[1:]),
                         min(len(stages), len(scan)))
                fail(f"layer {li}: stage output {i}: expected (first, last, tag) "
                     f"{scan[i][1:] if i < len(scan) else None}, observed "
                     f"{stages[i][1:] if i < len(stages) else None}")
            for (ia, _), (sa, *_) in zip(issues, stages):
                if sa != ia + FIRE_STAGES:
                    fail(f"layer {li}: a step issued at advance {ia} came out at {sa}, not "
                         f"{ia + FIRE_STAGES}")
            if len(loads) != d.groups * P:
                fail(f"layer {li}: {len(loads)} parameter loads, expected {d.groups * P}")
            per_group = len(scan) // d.groups
            for n, (at, core, entry) in enumerate(loads):
                g = n // P
                if (core, entry) != (n % P, (d.param_base + g) * P + n % P):
                    fail(f"layer {li} group {g}: load {n % P} wrote core {core} with entry "
                         f"{entry}, expected core {n % P} entry {(d.param_base + g) * P + n % P}")
                first = issues[g * per_group][0]
                if at >= first + NeuronCore.VALUE_LATENCY - 1:
                    fail(f"layer {li} group {g}: core {core} loaded at advance {at}, after the "
                         f"group's first step (advance {first}) used B")
                if g and at < issues[g * per_group - 1][0] + NeuronCore.THRESHOLD_USE:
                    fail(f"layer {li} group {g}: core {core} loaded at advance {at}, before the "
                         f"previous group's last step (advance {issues[g * per_group - 1][0]})"
                         " used Theta")
            stats["steps"] += len(issues)
            stats["loads"] += len(loads)
            read_sel ^= 1
        # -- PREDICT (its first cycle is the one that ended FIRE, with predict_ready = 0) ----------
        ready = 0
        while True:
            st = await status()
            if (st["phase"], st["predict_valid"]) != (Phase.PREDICT, 1):
                fail(f"expected PREDICT with predict_valid, observed {st}")
            await io.tick()
            if ready:
                break
            ready = int(rng.random() < 0.5)
            io.set("predict_ready", ready)
        io.set("predict_ready", 0)
        io.set("pixel_valid", 0)
        if Phase(await io.get("phase")) != Phase.IDLE:
            fail("expected IDLE after the prediction was taken")
        stats["inferences"] += 1
    return dict(stats)


BENCHES = {b.name: b for b in (
    Bench("weight_decoder", build_weight_decoder, weight_decoder, clocked=False),
    Bench("fire_unit", build_fire_unit, fire_unit, clocked=False),
    Bench("neuron_core", build_neuron_core, neuron_core),
    Bench("spike_router", build_spike_router, spike_router),
    Bench("spike_buffer", build_spike_buffer, spike_buffer),
    Bench("input_encoder", build_input_encoder, input_encoder),
    Bench("spike_emitter", build_spike_emitter, spike_emitter),
    Bench("earliest_spike_pool", build_earliest_spike_pool, earliest_spike_pool),
    Bench("param_memory", build_param_memory, param_memory),
    Bench("layer_sequencer", build_layer_sequencer, layer_sequencer),
)}
