"""The bench of ``rtl.neuron_core`` (see ``verif.benches``)."""


import collections

from golden import contract

from ..scoreboard import Mismatch
from .common import Bench, _rng


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


BENCH = Bench("neuron_core", build_neuron_core, neuron_core)
