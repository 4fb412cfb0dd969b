"""The bench of ``rtl.spike_emitter`` (see ``verif.benches``)."""





from ..scoreboard import Mismatch
from .common import Bench, _rng


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


BENCH = Bench("spike_emitter", build_spike_emitter, spike_emitter)
