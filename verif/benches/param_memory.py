"""The bench of ``rtl.param_memory`` (see ``verif.benches``)."""





from ..scoreboard import Mismatch
from .common import Bench, _rng


def build_param_memory(seed, *, bias_bits=9, threshold_bits=12, T=8, rule="round", depth=24,
                       coding="ttfs"):
    from rtl.param_memory import ParamMemory
    rng = _rng(seed, 9)
    bias = [int(b) for b in rng.integers(-(1 << (bias_bits - 1)), 1 << (bias_bits - 1), depth)]
    theta = [int(t) for t in rng.integers(1, 1 << threshold_bits, depth)]
    comp = ParamMemory(bias_bits=bias_bits, threshold_bits=threshold_bits, steps=T, rule=rule,
                       bias_init=bias, threshold_init=theta, coding=coding)
    return comp, {"seed": seed, "bias": bias, "theta": theta, "bias_bits": bias_bits,
                  "threshold_bits": threshold_bits, "T": T, "rule": rule, "cycles": 600,
                  "coding": coding}


async def param_memory(io, p):
    """Host writes of either half (``data`` wider than the field: it is cut to the field) mixed
    with reads with a random enable: the entry read at an enabled cycle (its value at that
    edge) is on ``read_data`` (bias term and ``FireLimits.of(Theta)``) after the next enabled
    cycle, and holds while ``read_en`` is 0. Rate coding: the bias term is
    ``contract.rate_initial_membrane``."""
    from golden import contract
    from rtl.fire_unit import FireLimits
    from rtl.param_memory import ParamMemory
    rng = _rng(p["seed"], 90)
    bb, tb = p["bias_bits"], p["threshold_bits"]
    half = max(bb, tb)
    coding = p.get("coding", "ttfs")
    limits = FireLimits(threshold_bits=tb, steps=p["T"], rule=p["rule"], coding=coding)
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
            term = b if coding == "ttfs" else int(contract.rate_initial_membrane(b, t, p["T"]))
            want = {"bias": term, "limits": limits.of(t)}
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


BENCH = Bench("param_memory", build_param_memory, param_memory)
