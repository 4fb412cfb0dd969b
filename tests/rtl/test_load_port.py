"""The accelerator's ``load`` port refuses a load that addresses no memory: it flags
``load_error`` and writes nothing, so the next inference still equals the golden model."""

import numpy as np

from golden import randnet as R
from rtl.config import HardwareConfig
from rtl.layouts import LoadTarget
from rtl.top import Accelerator
from verif import scoreboard as sb
from verif.amaranth_sim import run_inference


def _bits(layout, **fields):
    """The bits of a value of the struct ``layout`` whose fields are given as integers."""
    bits = 0
    for name, value in fields.items():
        field = layout[name]
        bits |= (int(value) & ((1 << field.width) - 1)) << field.offset
    return bits


def test_bad_loads_write_nothing():
    P = 3  # the core field (2 bits) holds 3, a core that does not exist
    net = R.random_network(np.random.default_rng(5), (1, 6, 6),
                           [R.conv(5), R.pool(), R.classifier(4)], T=4)
    cfg = HardwareConfig(net, cores=P)
    dut = Accelerator(cfg)
    biases, thresholds = cfg.param_images()
    lowest = -(1 << (cfg.bias_bits - 1))  # a bias that changes the scores wherever it lands
    addr_max = (1 << len(dut.load.p.addr)) - 1
    assert addr_max >= max(cfg.weight_depth, cfg.param_depth)
    bad = [
        # core P: was written as entry addr * P + P, i.e. core 0 of the next channel group
        (P, LoadTarget.BIAS, 0, lowest),
        (P, LoadTarget.THRESHOLD, 0, 1),
        (P, LoadTarget.WEIGHT, 0, 0),
        # target 3: was written as a bias
        (0, 3, 0, lowest),
        (1, 3, 1, lowest),
        # addresses past the memories
        (0, LoadTarget.WEIGHT, cfg.weight_depth, 0),
        (2, LoadTarget.WEIGHT, addr_max, 0),
        (0, LoadTarget.BIAS, cfg.param_depth, lowest),
        (1, LoadTarget.THRESHOLD, addr_max, 1),
    ]
    good = [(0, LoadTarget.BIAS, 0, biases[0]), (2, LoadTarget.THRESHOLD, 1, thresholds[1 * P + 2]),
            (1, LoadTarget.WEIGHT, cfg.weight_depth - 1, cfg.weight_images()[1][-1])]
    flags = []

    async def loader(ctx):
        for core, target, addr, value in bad + good:
            ctx.set(dut.load.valid, 1)
            # as raw bits: the target field is a LoadTarget, and 3 is not one of its members
            ctx.set(dut.load.payload.as_value(),
                    _bits(dut.load.payload.shape(), core=core, target=target, addr=addr,
                          data=value))
            await ctx.tick().until(dut.load.ready)
            flags.append(ctx.get(dut.load_error))
        ctx.set(dut.load.valid, 0)

    image = R.random_images(np.random.default_rng(0), net.input_shape, 1, density=0.9)[0]
    obs = run_inference(cfg, [image], dut=dut, before=loader)[0]
    sb.check(sb.expect(cfg, image), obs, cycles=True)
    assert flags == [1] * len(bad) + [0] * len(good)
