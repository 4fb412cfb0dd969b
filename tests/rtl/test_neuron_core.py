"""NeuronCore: random synaptic operations (with back-to-back hits on one membrane), then a fire
scan with random pipeline freezes, against a NumPy model built on the contract."""

import numpy as np
import pytest

from golden import contract
from rtl.fire_unit import FireLimits
from rtl.neuron_core import NeuronCore
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("seed,adder", [(0, "carry"), (1, "carry"), (2, "carry"),
                                         (3, "prefix"), (4, "prefix")])
def test_integrate_then_fire(seed, adder):
    rng = np.random.default_rng(seed)
    T, rule = int(rng.integers(1, 9)), ["round", "floor"][seed % 2]
    F = contract.min_frac_bits("ttfs", T)
    mbits, mdepth, wdepth, groups = F + 8, 12, 40, 3
    weights = [int(c) for c in rng.choice([0, 14, 15, 16, 30, 3, 20, 9], size=wdepth)]
    bias = [int(b) for b in rng.integers(-(1 << F), 1 << F, size=groups)]
    theta = [int(t) for t in rng.integers(1, 1 << (F + 2), size=groups)]
    dut = NeuronCore(membrane_bits=mbits, frac_bits=F, steps=T, rule=rule, weight_init=weights,
                     membrane_depth=mdepth, adder=adder)
    rounds = []
    for _ in range(2):  # the fire scan clears the membranes for the second round
        ops = []
        for _ in range(150):
            maddr = ops[-1][1] if ops and rng.random() < 0.4 else int(rng.integers(0, mdepth))
            ops.append((int(rng.integers(0, wdepth)), maddr, int(rng.integers(0, T))))
        U = np.zeros(mdepth, dtype=np.int64)
        for w, m, k in ops:
            U[m] += int(contract.synaptic_increment(weights[w], k, F))
        rounds.append((ops, U))

    async def bench(ctx):
        for ops, U in rounds:
            ctx.set(dut.fire.phase, 0)
            for op in ops:
                while rng.random() < 0.2:  # gaps in the operation stream
                    ctx.set(dut.op.valid, 0)
                    await ctx.tick()
                ctx.set(dut.op.valid, 1)
                ctx.set(dut.op.payload, {"waddr": op[0], "maddr": op[1], "k": op[2]})
                await ctx.tick()
            ctx.set(dut.op.valid, 0)
            while not ctx.get(dut.idle):
                await ctx.tick()
            ctx.set(dut.fire.phase, 1)
            seen = []
            values = {}
            per_group = mdepth // groups
            for gi in range(groups):
                # parameters of the group, loaded while no step is in flight
                ctx.set(dut.param.valid, 1)
                limits = FireLimits(threshold_bits=mbits - 1, steps=T, rule=rule).of(theta[gi])
                ctx.set(dut.param.payload, {"bias": bias[gi], "limits": limits})
                await ctx.tick()
                ctx.set(dut.param.valid, 0)
                steps = list(range(gi * per_group, (gi + 1) * per_group))
                pipe = [None] * NeuronCore.FIRE_LATENCY  # steps in the fire stages
                while steps or any(s is not None for s in pipe):
                    adv = rng.random() < 0.7
                    ctx.set(dut.fire.advance, int(adv))
                    ctx.set(dut.fire.valid, int(bool(steps)))
                    if steps:
                        ctx.set(dut.fire.maddr, steps[0])
                    # value shows the step at VALUE_LATENCY, k the one at FIRE_LATENCY
                    if pipe[NeuronCore.VALUE_LATENCY - 1] is not None and adv:
                        values[pipe[NeuronCore.VALUE_LATENCY - 1]] = ctx.get(dut.value)
                    if pipe[-1] is not None and adv:
                        seen.append((pipe[-1], gi, values[pipe[-1]], ctx.get(dut.k)))
                    await ctx.tick()
                    if adv:
                        pipe = [steps.pop(0) if steps else None] + pipe[:-1]
                # value holds the group's last V through the empty steps after it (the scores
                # are read from it while the emitter sends them)
                last = (gi + 1) * per_group - 1
                assert ctx.get(dut.value) == int(U[last]) + bias[gi]
            ctx.set(dut.fire.advance, 0)
            ctx.set(dut.fire.valid, 0)
            assert [a for a, _, _, _ in seen] == list(range(mdepth))
            for a, gi, value, k in seen:
                want = int(U[a]) + bias[gi]
                assert value == want, (a, value, want)
                assert k == int(contract.ttfs_fire(want, theta[gi], T, rule))

    simulate(dut, bench)
