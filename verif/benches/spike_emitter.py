"""The bench of ``rtl.spike_emitter`` (see ``verif.benches``)."""





from ..scoreboard import Mismatch
from .common import Bench, _rng


def build_spike_emitter(seed, *, lanes=4, groups=80, counts=False):
    """Groups with random masks (empty, one lane, every lane), lane payloads and tags;
    ``counts``: count mode, field k a count 1..15 of each masked lane."""
    from amaranth.lib import data

    from rtl.spike_emitter import SpikeEmitter
    rng = _rng(seed, 7)
    lane = data.StructLayout({"k": 4})
    tag = data.StructLayout({"g": 3, "y": 3})
    gs = []
    for _ in range(groups):
        mask = int(rng.choice([0, 1 << int(rng.integers(0, lanes)), (1 << lanes) - 1,
                               int(rng.integers(0, 1 << lanes))]))
        gs.append({"mask": mask, "lanes": [{"k": int(v)} for v in
                                           rng.integers(int(counts), 16, lanes)],
                   "tag": {"g": int(rng.integers(0, 8)), "y": int(rng.integers(0, 8))}})
    comp = SpikeEmitter(lanes=lanes, lane_layout=lane, tag_layout=tag,
                        count_field="k" if counts else None)
    return comp, {"seed": seed, "lanes": lanes, "groups": gs, "counts": counts}


def _outputs(group, lanes, counts):
    """(lane, payload, last) of every output of a group, in order."""
    out = []
    for lane in range(lanes):
        if group["mask"] >> lane & 1:
            n = group["lanes"][lane]["k"] if counts else 1
            out += [(lane, {"k": t} if counts else group["lanes"][lane], int(t == n - 1))
                    for t in range(n)]
    return out


async def spike_emitter(io, p):
    """A group is taken when offered and ``stall`` is 0; its lanes leave on ``out`` lowest
    first, one per cycle ``out`` is ready (count mode: a lane of count N N times, t = 0..N-1);
    ``stall`` is 1 exactly while two or more outputs are pending or one is pending and ``out``
    is not ready (the documented rule), every cycle."""
    rng = _rng(p["seed"], 70)
    groups = p["groups"]
    counts = p.get("counts", False)
    want = [(lane, g["tag"], pay, last) for g in groups
            for lane, pay, last in _outputs(g, p["lanes"], counts)]
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
            raise Mismatch(f"spike_emitter: {len(pending)} outputs pending, "
                           f"out.ready={int(ready)}"
                           f": expected stall={want_stall} out.valid={int(bool(pending))} "
                           f"idle={int(not pending)}, observed stall={stall} out.valid={valid} "
                           f"idle={idle} at cycle {io.cycle}")
        if valid and ready:
            o = await io.get("out.payload")
            got.append((o["lane"], o["tag"], o["payload"], o["last"]))
            lane, pay, last = pending[0]
            exp = (lane, current["tag"], pay, last)
            if got[-1] != exp:
                raise Mismatch(f"spike_emitter: result {len(got) - 1}: expected (lane, tag, "
                               f"payload, last) {exp}, observed {got[-1]} at cycle {io.cycle}")
            pending = pending[1:]
        if offer and not stall:
            current = groups[nxt]
            pending = _outputs(current, p["lanes"], counts)
            nxt += 1
        await io.tick()
        if io.cycle > 10 * len(want) + 10 * len(groups) + 100:
            raise Mismatch(f"spike_emitter: timeout, {len(got)} of {len(want)} results")
    if got != want:
        raise Mismatch(f"spike_emitter: {len(got)} results, expected {len(want)}")
    return {"groups": len(groups), "results": len(got)}


BENCH = Bench("spike_emitter", build_spike_emitter, spike_emitter)
