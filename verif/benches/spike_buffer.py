"""The bench of ``rtl.spike_buffer`` (see ``verif.benches``)."""





from ..scoreboard import Mismatch
from .common import Bench, _rng, event_config


def build_spike_buffer(seed, *, depth=37, rounds=12, sizes=(), repeat=False):
    """``sizes``: event counts of the first rounds (the others are drawn: 0, 1, full, any).
    ``repeat``: repeat mode on the field k (rate coding): an entry of k = r reads out r + 1
    events k = 0..r."""
    from rtl.layouts import event_layout
    from rtl.spike_buffer import SpikeBuffer
    cfg = event_config()
    comp = SpikeBuffer(event_layout(cfg), depth=depth, repeat_field="k" if repeat else None)
    return comp, {"seed": seed, "depth": depth, "rounds": rounds, "sizes": list(sizes),
                  "config": cfg, "repeat": repeat}


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
        # what a read-out gives: the entries, or (repeat mode) each entry k + 1 times
        out = ([dict(e, k=t) for e in events for t in range(e["k"] + 1)] if p.get("repeat")
               else events)
        for replay in range(1 + int(rng.random() < 0.3)):
            got = await read_out(out, float(rng.uniform(0.2, 1.0)))
            if got != out:
                i = next((j for j, (a, b) in enumerate(zip(out, got)) if a != b),
                         min(len(out), len(got)))
                exp = out[i] if i < len(out) else None
                obs = got[i] if i < len(got) else None
                raise Mismatch(f"spike_buffer round {rnd} read {replay}: event {i}: expected "
                               f"{exp}, observed {obs} (read {len(got)} of {len(out)}) by cycle "
                               f"{io.cycle}")
            moved += len(out)
        if n > 2 and rng.random() < 0.3:
            await read_out(events, 0.8, abort_at=int(rng.integers(0, n)))
    return {"events": moved}


BENCH = Bench("spike_buffer", build_spike_buffer, spike_buffer)
