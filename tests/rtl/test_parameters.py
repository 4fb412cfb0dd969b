# amaranth: UnusedElaboratable=no
"""Every component refuses a bad parameter in its constructor with a precise message.

(The first line is Amaranth's linter option: a component whose constructor raises is never
elaborated, by design, so this file, and only this one, does not warn about it.)
"""

import numpy as np
import pytest
from amaranth.lib import data

from golden import randnet as R
from rtl.config import HardwareConfig
from rtl.fire_unit import FireUnit
from rtl.host_link import HostLink
from rtl.input_encoder import InputEncoder
from rtl.layouts import descriptor_layout, event_layout, op_layout
from rtl.max_pool import EarliestSpikePool
from rtl.neuron_core import NeuronCore
from rtl.param_memory import ParamMemory
from rtl.spike_buffer import SpikeBuffer
from rtl.spike_emitter import SpikeEmitter
from rtl.spike_router import SpikeRouter
from rtl.uart import UartRx, UartTx
from rtl.weight_decoder import WeightDecoder


def _config(**options):
    net = R.random_network(np.random.default_rng(0), (1, 6, 6),
                           [R.conv(3), R.pool(), R.classifier(4)], T=4)
    return HardwareConfig(net, cores=2, **options)


def _core(**change):
    params = dict(membrane_bits=30, frac_bits=21, steps=8, rule="round", weight_init=[15],
                  membrane_depth=4)
    return NeuronCore(**(params | change))


@pytest.mark.parametrize("change,message", [
    ({"adder": "ripple"}, "adder must be one of carry, prefix, not 'ripple'"),
    ({"membrane_bits": 1}, r"membrane_bits must be an integer in 2..48, not 1"),
    ({"steps": 17}, r"steps \(T\) must be an integer in 1..16, not 17"),
    ({"membrane_depth": 0}, r"membrane_depth must be an integer >= 1, not 0"),
    ({"weight_init": []}, "weight_init must hold at least one weight code"),
    ({"threshold_bits": 30}, r"threshold_bits must be an integer in 1..29"),
])
def test_neuron_core(change, message):
    with pytest.raises(ValueError, match=message):
        _core(**change)


def test_weight_decoder():
    with pytest.raises(ValueError, match="frac_bits must be an integer in 14..63"):
        WeightDecoder(frac_bits=3, time_bits=3)
    with pytest.raises(ValueError, match="time_bits must be an integer in 1..4"):
        WeightDecoder(frac_bits=21, time_bits=5)


@pytest.mark.parametrize("bad", [0, 24, "8"])
def test_fire_unit(bad):
    with pytest.raises(ValueError, match="threshold_bits"):
        FireUnit(membrane_bits=24, threshold_bits=bad, steps=8)


def test_input_encoder():
    cfg = _config()
    ev = event_layout(cfg)
    ok = dict(shape=(1, 6, 6), steps=4, rule="round")
    InputEncoder(ev, **ok)
    with pytest.raises(TypeError, match=r"^layout must be a data.StructLayout with fields c, y, "
                                        r"x, k, not 8$"):
        InputEncoder(8, **ok)
    with pytest.raises(TypeError, match="^layout lacks the field k$"):
        InputEncoder(data.StructLayout({"c": 1, "y": 3, "x": 3}), **ok)
    with pytest.raises(ValueError, match=r"^shape must be \(C, H, W\), not \(6, 6\)$"):
        InputEncoder(ev, **(ok | {"shape": (6, 6)}))
    with pytest.raises(ValueError, match="^shape H must be an integer >= 1, not 0$"):
        InputEncoder(ev, **(ok | {"shape": (1, 0, 6)}))
    with pytest.raises(ValueError, match=r"^layout field y \(3 bits\) cannot hold 8$"):
        InputEncoder(ev, **(ok | {"shape": (1, 9, 6)}))
    with pytest.raises(ValueError, match=r"^steps \(T\) must be an integer in 1..16, not 0$"):
        InputEncoder(ev, **(ok | {"steps": 0}))
    with pytest.raises(ValueError, match="^rule must be one of round, floor, not 'ceil'$"):
        InputEncoder(ev, **(ok | {"rule": "ceil"}))


def test_earliest_spike_pool():
    with pytest.raises(ValueError, match="^lanes must be an integer >= 1, not 0$"):
        EarliestSpikePool(lanes=0, time_bits=3)
    with pytest.raises(ValueError, match=r"^time_bits must be an integer >= 1, not 2.0$"):
        EarliestSpikePool(lanes=2, time_bits=2.0)


def test_spike_emitter():
    lane = data.StructLayout({"k": 3})
    with pytest.raises(ValueError, match="^lanes must be an integer >= 1, not True$"):
        SpikeEmitter(lanes=True, lane_layout=lane, tag_layout=lane)
    with pytest.raises(TypeError, match="^tag_layout must be a data.Layout, not 4$"):
        SpikeEmitter(lanes=2, lane_layout=lane, tag_layout=4)


def test_spike_router():
    cfg = _config()
    ev = event_layout(cfg)
    ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                    time_bits=cfg.k_bits)
    desc = descriptor_layout(cfg)
    SpikeRouter(cfg, ev, ops, desc)
    with pytest.raises(TypeError, match="^config must have a non-empty descriptor table"):
        SpikeRouter(object(), ev, ops, desc)
    with pytest.raises(TypeError, match="^op_layout lacks the fields waddr, maddr$"):
        SpikeRouter(cfg, ev, data.StructLayout({"k": 2}), desc)
    with pytest.raises(TypeError, match="^desc_layout lacks the fields kernel_sq, in_hw, in_w$"):
        SpikeRouter(None, ev, ops, desc)  # run-time mode: products by descriptor fields
    narrow = data.StructLayout({**dict(desc.members), "fan_in": 1})
    with pytest.raises(ValueError, match=r"^desc_layout field fan_in \(1 bits\) cannot hold"):
        SpikeRouter(cfg, ev, ops, narrow)


def test_memories():
    with pytest.raises(ValueError, match="depth must be a positive integer, not 0"):
        SpikeBuffer(data.StructLayout({"k": 2}), depth=0)
    with pytest.raises(ValueError, match="threshold 0 outside 1..7"):
        ParamMemory(bias_bits=4, threshold_bits=3, steps=4, rule="round", bias_init=[0],
                    threshold_init=[0])


def test_uart_and_host_link():
    with pytest.raises(ValueError, match="UART divisor must be >= 2, not 1"):
        UartRx(1)
    with pytest.raises(ValueError, match="UART divisor must be >= 2, not 1"):
        UartTx(1)
    cfg = _config(trace=False)
    with pytest.raises(ValueError, match=r"^timeout_bits must be an integer >= 20 \(two bytes\), "
                                         r"not 19$"):
        HostLink(cfg, divisor=4, timeout_bits=19)
    with pytest.raises(ValueError, match="without the trace stream"):
        HostLink(_config(), divisor=4)
