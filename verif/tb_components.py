"""cocotb testbenches of the accelerator's components, each on its own emitted Verilog.

weight_decoder  exhaustive: every 5-bit code x every k, against golden.contract.
neuron_core     random synaptic operations (bubbles, back-to-back and two-back hits on one
                membrane address), host loads, then a fire scan with a random advance enable;
                membranes, U + B and k against a NumPy model built from golden.contract; several
                rounds (so the clear after fire is checked too).
spike_router    random conv geometries (kernel 1..5, stride 1..2, padding 0..2) and dense
                layers driven on the ``desc`` port of one compiled router; random event valid
                and op ready; the multiset (and the order) of (waddr, maddr, k) bundles against
                golden.event.fanout_range and the documented address formulas.
spike_buffer    random writes with gaps, read-out with random ready, replay and clear.

The case (``VERIF_CASE``) carries the seed and the parameters the design was built with.
"""

import collections

import numpy as np

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from golden import contract
from golden.event import fanout_range
from verif.tbutil import Fields, load_case, reset, start_clock, write_stats


class Fail(AssertionError):
    pass


def _finish(dut, case, error=None, **stats):
    stats["sim_time_ns"] = get_sim_time("ns")
    if error:
        stats["error"] = error
    write_stats(case, **stats)
    if error:
        raise Fail(error)


# -- weight decoder -------------------------------------------------------------------------------

@cocotb.test()
async def weight_decoder(dut):
    case = load_case()
    F, T, tb = case["F"], case["T"], case["time_bits"]
    shift_w = len(dut.shift)
    checked = 0
    error = None
    for code in range(32):
        for k in range(1 << tb):
            dut.code.value = code
            dut.k.value = k
            await Timer(1, unit="ns")
            sign, shift, zero = int(dut.sign.value), int(dut.shift.value), int(dut.zero.value)
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
                error = (f"weight_decoder F={F}: code {code} (s={code >> 4}, e={e}), k={k}: "
                         + ", ".join(problems))
                break
            checked += 1
        if error:
            break
    _finish(dut, case, error, checked=checked, cycles=0)


# -- neuron core ------------------------------------------------------------------------------

@cocotb.test()
async def neuron_core(dut):
    await _neuron_core_param(dut)


@cocotb.test()
async def neuron_core_prefix(dut):
    """The same bench on a core built with the standard-cell membrane adder."""
    await _neuron_core_param(dut)


async def _neuron_core_param(dut):
    """NeuronCore: weights loaded through ``weight_load``, random operations with back-to-back
    hits on one membrane (forwarding), then a fire scan with random freezes, one ``param``
    (B and the limits of Theta) per group; ``value`` is checked VALUE_LATENCY and ``k``
    FIRE_LATENCY advances after each step, and ``value`` must hold the group's last V while
    the next group's parameters load."""
    from rtl.fire_unit import FireLimits
    from rtl.layouts import op_layout, param_layout
    case = load_case()
    rng = np.random.default_rng([case["seed"], 2])
    F, T, rule = case["F"], case["T"], case["rule"]
    weights = list(case["weights"])
    mdepth = case["membrane_depth"]
    latency = case["fire_latency"]
    value_at = case["value_latency"] - 1  # index in pipe of the step shown on value
    op_f = Fields(op_layout(weight_depth=len(weights), membrane_depth=mdepth,
                            time_bits=case["time_bits"]))
    par_f = Fields(param_layout(bias_bits=case["bias_bits"], threshold_bits=case["threshold_bits"],
                                steps=T, rule=rule))
    spec = FireLimits(threshold_bits=case["threshold_bits"], steps=T, rule=rule)

    def limits_of(theta):  # packed, as par_f.encode wants an int per field
        return spec.layout.const(spec.of(theta)).as_value().value
    from amaranth.lib import data
    wl_f = Fields(data.StructLayout({"addr": max(1, (len(weights) - 1).bit_length()),
                                     "data": contract.CODE_BITS}))
    for name in ("op__valid", "fire__phase", "fire__advance", "fire__valid", "fire__maddr",
                 "param__valid", "weight_load__valid"):
        getattr(dut, name).value = 0
    await start_clock(dut)
    await reset(dut)
    edge = RisingEdge(dut.clk)
    cycle = 0
    ops_total = hits = checked = 0
    error = None
    for rnd in range(case.get("rounds", 4)):
        if rnd:  # host weight loads
            for _ in range(int(rng.integers(1, 10))):
                a = int(rng.integers(0, len(weights)))
                v = int(contract.ZERO_CODE if rng.random() < 0.2 else
                        (int(rng.integers(0, 2)) << 4) | int(rng.integers(0, 15)))
                weights[a] = v
                dut.weight_load__valid.value = 1
                dut.weight_load__payload.value = wl_f.encode(addr=a, data=v)
                await edge
                cycle += 1
                dut.weight_load__valid.value = 0
                for _ in range(int(rng.integers(0, 2))):
                    await edge
                    cycle += 1
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
                hits += int(bool(hist) and hist[-1] == maddr)
                hist.append(maddr)
                U[maddr] += int(contract.synaptic_increment(weights[waddr], k, F))
                dut.op__payload.value = op_f.encode(waddr=waddr, maddr=maddr, k=k)
                sent += 1
            dut.op__valid.value = int(valid)
            await edge
            cycle += 1
        dut.op__valid.value = 0
        ops_total += n_ops
        for _ in range(case.get("integrate_stages", 5)):
            await edge
            cycle += 1
        await ReadOnly()
        if int(dut.idle.value) != 1:
            error = (f"neuron_core round {rnd}: idle is 0 {case.get('integrate_stages', 5)} "
                     "cycles after the last operation")
            break
        await edge
        cycle += 1
        # -- fire: groups of steps, each with its own (B, Theta) -----------------------------
        dut.fire__phase.value = 1
        order = [int(a) for a in rng.permutation(mdepth)]
        last = None  # (membrane, B) of the last step of the previous group
        pipe = [None] * latency  # pipe[-1] is the step whose result is on the outputs

        async def fire_cycle(issue):
            nonlocal pipe, cycle, checked, error
            s2 = pipe[-1]
            sv = pipe[value_at]
            adv = rng.random() < 0.7
            dut.fire__advance.value = int(adv)
            dut.fire__valid.value = int(adv and issue is not None)
            if issue is not None:
                dut.fire__maddr.value = issue[0]
            await ReadOnly()
            if sv is not None and error is None:
                a, b, th = sv
                got_v = dut.value.value.to_signed()
                if got_v != U[a] + b:
                    error = (f"neuron_core round {rnd}: membrane {a} (B={b}): expected "
                             f"U+B={U[a] + b}, observed value={got_v} at cycle {cycle}")
            if s2 is not None and error is None:
                a, b, th = s2
                want_v = U[a] + b
                want_k = int(contract.ttfs_fire(want_v, th, T, rule))
                got = (int(dut.k.value), int(dut.spike.value))
                if got != (want_k, int(want_k < T)):
                    error = (f"neuron_core round {rnd}: membrane {a} (B={b}, Theta={th}): "
                             f"U+B={want_v}: expected k={want_k}, observed k={got[0]} "
                             f"spike={got[1]} at cycle {cycle}")
                checked += 1
            await edge
            cycle += 1
            if adv:
                pipe = [issue] + pipe[:-1]
            return adv

        while order and error is None:
            while any(x is not None for x in pipe) and error is None:
                await fire_cycle(None)
            if last is not None and error is None:
                await ReadOnly()
                if dut.value.value.to_signed() != U[last[0]] + last[1]:
                    error = (f"neuron_core round {rnd}: value did not hold the group's last "
                             f"U+B={U[last[0]] + last[1]} (membrane {last[0]}) at cycle {cycle}")
                await edge
                cycle += 1
            b = int(rng.integers(-(1 << (F - 1)), 1 << (F - 1)))
            th = int(rng.integers(1 << (F - 2), 1 << (F + 2)))
            dut.param__valid.value = 1
            dut.param__payload.value = par_f.encode(bias=b, limits=limits_of(th))
            dut.fire__advance.value = 0
            dut.fire__valid.value = 0
            await edge
            cycle += 1
            dut.param__valid.value = 0
            n = int(rng.integers(1, 6))
            group, order = order[:n], order[n:]
            last = (group[-1], b)
            while group and error is None:
                if await fire_cycle((group[0], b, th)):
                    group.pop(0)
        while any(x is not None for x in pipe) and error is None:
            await fire_cycle(None)
        if error:
            break
        dut.fire__phase.value = 0
        dut.fire__advance.value = 0
        dut.fire__valid.value = 0
        await edge
        cycle += 1
    _finish(dut, case, error, cycles=cycle, ops=ops_total, back_to_back_hits=hits,
            fired=checked)


# -- spike router ---------------------------------------------------------------------------

def expected_bundles(d, event):
    """The (waddr, maddr, k) bundles of one event, in the router's documented order."""
    from rtl.config import KIND_CONV
    c, y, x, k = event
    out = []
    if d.kind == KIND_CONV:
        K, s, p = d.kernel, d.stride, d.padding
        oy0, oy1 = fanout_range(y, p, K, s, d.out_h)
        ox0, ox1 = fanout_range(x, p, K, s, d.out_w)
        for oy in range(oy0, oy1 + 1):
            for ox in range(ox0, ox1 + 1):
                ky, kx = y + p - oy * s, x + p - ox * s
                for g in range(d.groups):
                    out.append((d.weight_base + g * d.fan_in + c * K * K + ky * K + kx,
                                g * d.positions + oy * d.out_w + ox, k))
    else:
        i = (c * d.in_h + y) * d.in_w + x
        for g in range(d.groups):
            out.append((d.weight_base + g * d.fan_in + i, g * d.positions, k))
    return out


@cocotb.test()
async def spike_router(dut):
    from rtl.layouts import descriptor_layout, descriptor_value, event_layout, op_layout
    from verif.cases import random_router_geometries, router_config
    case = load_case()
    rng = np.random.default_rng([case["seed"], 3])
    geoms = random_router_geometries(rng, case["geometries"])
    per_layer = case.get("per_layer", False)
    cfg = router_config(geoms if per_layer else [])
    desc_f = Fields(descriptor_layout(cfg))
    ev_f = Fields(event_layout(cfg))
    op_f = Fields(op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                            time_bits=3))
    dut.events__valid.value = 0
    dut.ops__ready.value = 0
    await start_clock(dut)
    await reset(dut)
    edge = RisingEdge(dut.clk)
    cycle = 0
    error = None
    total_events = total_bundles = 0
    for gi, d in enumerate(geoms):
        if per_layer:
            dut.layer.value = gi + 1
        dut.desc.value = desc_f.encode(**descriptor_value(cfg, d))
        n = int(rng.integers(1, case["events"] + 1))
        c_max = d.in_c
        events = [(int(rng.integers(0, c_max)), int(rng.integers(0, d.in_h)),
                   int(rng.integers(0, d.in_w)), int(rng.integers(0, cfg.T))) for _ in range(n)]
        want = [b for e in events for b in expected_bundles(d, e)]
        got = []
        vp, rp = float(rng.uniform(0.3, 1.0)), float(rng.uniform(0.3, 1.0))
        pos = 0
        quiet = 0
        start = cycle
        while True:
            ev_valid = pos < n and rng.random() < vp
            dut.events__valid.value = int(ev_valid)
            if pos < n:
                c, y, x, k = events[pos]
                dut.events__payload.value = ev_f.encode(c=c, y=y, x=x, k=k)
            rdy = rng.random() < rp or pos >= n
            dut.ops__ready.value = int(rdy)
            await ReadOnly()
            if ev_valid and int(dut.events__ready.value):
                pos += 1
            if rdy and int(dut.ops__valid.value):
                o = op_f.decode(int(dut.ops__payload.value))
                got.append((o["waddr"], o["maddr"], o["k"]))
            idle = int(dut.idle.value) and not int(dut.ops__valid.value)
            await edge
            cycle += 1
            if pos >= n and idle:
                quiet += 1
                if quiet > 2:
                    break
            else:
                quiet = 0
            if cycle - start > 20 * (len(want) + n) + 100:
                error = f"spike_router geometry {gi}: timeout ({len(got)}/{len(want)} bundles)"
                break
        if error:
            break
        total_events += n
        total_bundles += len(got)
        geo = (f"geometry {gi}: kind={d.kind} in={d.in_c}x{d.in_h}x{d.in_w} K={d.kernel} "
               f"s={d.stride} p={d.padding} out={d.out_h}x{d.out_w} groups={d.groups} "
               f"base={d.weight_base}")
        cw, cg = collections.Counter(want), collections.Counter(got)
        if cw != cg:
            missing = list((cw - cg).elements())[:4]
            extra = list((cg - cw).elements())[:4]
            error = (f"spike_router {geo}: bundle multiset differs: missing (waddr, maddr, k) "
                     f"{missing}, unexpected {extra} (expected {len(want)}, observed "
                     f"{len(got)}) by cycle {cycle}; events {events}")
            break
        if want != got:
            i = next(j for j, (a, b) in enumerate(zip(want, got)) if a != b)
            error = (f"spike_router {geo}: bundle order differs from the documented order at "
                     f"bundle {i}: expected {want[i]}, observed {got[i]}")
            break
    _finish(dut, case, error, cycles=cycle, events=total_events, bundles=total_bundles)


# -- spike buffer ---------------------------------------------------------------------------

@cocotb.test()
async def spike_buffer(dut):
    from rtl.layouts import event_layout
    from verif.cases import _duck_config
    case = load_case()
    rng = np.random.default_rng([case["seed"], 4])
    cfg = _duck_config(c_bits=4, y_bits=3, x_bits=3, T=8)
    f = Fields(event_layout(cfg))
    depth = case["depth"]
    for name in ("write__valid", "clear", "start", "read__ready"):
        getattr(dut, name).value = 0
    await start_clock(dut)
    await reset(dut)
    edge = RisingEdge(dut.clk)
    cycle = 0
    error = None
    moved = 0

    async def step():
        nonlocal cycle
        await edge
        cycle += 1

    async def read_out(events, rp, abort_at=None):
        """Read everything out; returns the list read (or None after an abort)."""
        got = []
        dut.start.value = 1
        await step()
        dut.start.value = 0
        n = 0
        while True:
            rdy = rng.random() < rp
            dut.read__ready.value = int(rdy)
            clear = abort_at is not None and n == abort_at
            dut.clear.value = int(clear)
            await ReadOnly()
            valid = int(dut.read__valid.value)
            done = int(dut.done.value)
            if valid and rdy:
                got.append(int(dut.read__payload.value))
            await step()
            n += 1
            if clear:
                dut.clear.value = 0
                await ReadOnly()
                if int(dut.read__valid.value) or not int(dut.done.value) or \
                        int(dut.count.value):
                    raise Fail(f"spike_buffer: after clear at cycle {cycle}: valid="
                               f"{dut.read__valid.value} done={dut.done.value} count="
                               f"{dut.count.value}")
                await step()
                return None
            if done and not valid:
                return got
            if n > 20 * (len(events) + 4):
                raise Fail(f"spike_buffer: read-out of {len(events)} events timed out at "
                           f"cycle {cycle} ({len(got)} read)")

    try:
        for rnd in range(case["rounds"]):
            dut.clear.value = 1
            await step()
            dut.clear.value = 0
            n = int(rng.choice([0, 1, depth, int(rng.integers(0, depth + 1))]))
            events = [f.encode(c=int(rng.integers(0, 16)), y=int(rng.integers(0, 8)),
                               x=int(rng.integers(0, 8)), k=int(rng.integers(0, 8)))
                      for _ in range(n)]
            i = 0
            wp = float(rng.uniform(0.3, 1.0))
            while i < n:
                v = rng.random() < wp
                dut.write__valid.value = int(v)
                dut.write__payload.value = events[i]
                await step()
                i += int(v)
            dut.write__valid.value = 0
            await ReadOnly()
            if int(dut.count.value) != n:
                raise Fail(f"spike_buffer round {rnd}: count {int(dut.count.value)} after "
                           f"{n} writes (cycle {cycle})")
            await step()
            for replay in range(1 + int(rng.random() < 0.3)):
                got = await read_out(events, float(rng.uniform(0.2, 1.0)))
                if got != events:
                    i = next((j for j, (a, b) in enumerate(zip(events, got)) if a != b),
                             min(len(events), len(got)))
                    exp = f.decode(events[i]) if i < len(events) else None
                    obs = f.decode(got[i]) if i < len(got) else None
                    raise Fail(f"spike_buffer round {rnd} read {replay}: event {i}: expected "
                               f"{exp}, observed {obs} (read {len(got)} of {n}) by cycle "
                               f"{cycle}")
                moved += n
            if n > 2 and rng.random() < 0.3:
                await read_out(events, 0.8, abort_at=int(rng.integers(0, n)))
    except Fail as exc:
        error = str(exc)
    _finish(dut, case, error, cycles=cycle, events=moved)
