"""The bench of ``rtl.max_pool`` (see ``verif.benches``)."""




from golden import contract

from ..scoreboard import Mismatch
from .common import Bench, _rng


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


BENCH = Bench("earliest_spike_pool", build_earliest_spike_pool, earliest_spike_pool)
