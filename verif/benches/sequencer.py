"""The bench of ``rtl.sequencer`` (see ``verif.benches``)."""


import collections

from ..scoreboard import Mismatch
from .common import Bench, _rng


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


BENCH = Bench("layer_sequencer", build_layer_sequencer, layer_sequencer)
