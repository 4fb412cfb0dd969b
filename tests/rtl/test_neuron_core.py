"""NeuronCore: random synaptic operations (with back-to-back hits on one membrane), then a fire
scan with random pipeline freezes, against a NumPy model built on the contract."""

import numpy as np
import pytest

from golden import contract
from rtl.neuron_core import NeuronCore
from verif.amaranth_sim import simulate


@pytest.mark.parametrize("seed", range(3))
def test_integrate_then_fire(seed):
    rng = np.random.default_rng(seed)
    T, rule = int(rng.integers(1, 9)), ["round", "floor"][seed % 2]
    F = contract.min_frac_bits("ttfs", T)
    mbits, mdepth, wdepth, pdepth = F + 8, 12, 40, 3
    weights = [int(c) for c in rng.choice([0, 14, 15, 16, 30, 3, 20, 9], size=wdepth)]
    bias = [int(b) for b in rng.integers(-(1 << F), 1 << F, size=pdepth)]
    theta = [int(t) for t in rng.integers(1, 1 << (F + 2), size=pdepth)]
    dut = NeuronCore(membrane_bits=mbits, frac_bits=F, steps=T, rule=rule, weight_init=weights,
                     bias_init=bias, threshold_init=theta, membrane_depth=mdepth)
    rounds = []
    for _ in range(2):  # the fire scan clears the membranes for the second round
        ops = []
        for _ in range(150):
            maddr = ops[-1][1] if ops and rng.random() < 0.4 else int(rng.integers(0, mdepth))
            ops.append((int(rng.integers(0, wdepth)), maddr, int(rng.integers(0, T))))
        U = np.zeros(mdepth, dtype=np.int64)
        for w, m, k in ops:
            e = int(contract.code_exponent(weights[w]))
            if e != contract.ZERO_EXP:
                v = 1 << int(contract.synapse_shift(e, k, F))
                U[m] += -v if contract.code_sign(weights[w]) else v
        paddr = [int(p) for p in rng.integers(0, pdepth, size=mdepth)]
        rounds.append((ops, U, paddr))

    async def bench(ctx):
        for ops, U, paddr in rounds:
            ctx.set(dut.fire_phase, 0)
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
            ctx.set(dut.fire_phase, 1)
            steps = list(range(mdepth))
            stage1 = None
            seen = []
            while steps or stage1 is not None:
                adv = rng.random() < 0.7
                ctx.set(dut.fire_advance, int(adv))
                ctx.set(dut.fire_valid, int(bool(steps)))
                if steps:
                    ctx.set(dut.fire_maddr, steps[0])
                    ctx.set(dut.fire_paddr, paddr[steps[0]])
                if stage1 is not None and adv:
                    seen.append((stage1, ctx.get(dut.value), ctx.get(dut.k)))
                await ctx.tick()
                if adv:
                    stage1 = steps.pop(0) if steps else None
            ctx.set(dut.fire_advance, 0)
            ctx.set(dut.fire_valid, 0)
            assert [a for a, _, _ in seen] == list(range(mdepth))
            for a, value, k in seen:
                want = int(U[a]) + bias[paddr[a]]
                assert value == want, (a, value, want)
                assert k == int(contract.ttfs_fire(want, theta[paddr[a]], T, rule))

    simulate(dut, bench)
