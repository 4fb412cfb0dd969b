"""The whole accelerator under Amaranth's simulator against the golden model: events of every
layer, scores, prediction and the cycle model's phase counts."""

import numpy as np
import pytest

from golden import cycles, event
from golden import randnet as R
from golden.network import NetworkError
from rtl.config import ConfigError, HardwareConfig
from rtl.layouts import LoadTarget
from rtl.top import Accelerator
from verif import scoreboard as sb
from verif.amaranth_sim import run_inference


def _net(seed, spec, shape=(2, 8, 8), T=4, rule="round"):
    return R.random_network(np.random.default_rng(seed), shape, spec, T=T, fire_rule=rule)


NETS = {
    "conv_pool_dense": lambda: _net(1, [R.conv(3), R.pool(), R.conv(5), R.dense_layer(7),
                                        R.classifier(4)]),
    "stride2_k5": lambda: _net(2, [R.conv(4, 5, 2, 2), R.conv(3, 1, 1, 0), R.classifier(3)],
                               shape=(1, 10, 10), T=8, rule="floor"),
    "k4_s2_p1": lambda: _net(3, [R.conv(6, 4, 2, 1), R.pool(), R.classifier(5)],
                             shape=(2, 12, 12), T=3),
    "dense_only": lambda: _net(4, [R.dense_layer(9), R.dense_layer(5), R.classifier(3)],
                               shape=(1, 5, 5), T=1),
}


@pytest.mark.parametrize("P", [1, 2, 3, 8])
@pytest.mark.parametrize("name", sorted(NETS))
def test_events_scores_and_cycles(name, P):
    net = NETS[name]()
    cfg = HardwareConfig(net, cores=P)
    images = R.random_images(np.random.default_rng(P), net.input_shape, 2)
    for image, obs in zip(images, run_inference(cfg, images)):
        sb.check(sb.expect(cfg, image), obs, cycles=True)


RATE_NETS = {
    "conv_pool_dense": lambda: R.random_network(
        np.random.default_rng(11), (2, 8, 8), [R.conv(3), R.pool(), R.conv(5), R.pool(),
                                               R.dense_layer(7), R.classifier(4)],
        T=4, coding="rate"),
    "stride2_dense_t3": lambda: R.random_network(
        np.random.default_rng(12), (1, 10, 10), [R.conv(4, 5, 2, 2), R.dense_layer(6),
                                                 R.classifier(3)], T=3, coding="rate"),
}


@pytest.mark.parametrize("P", [1, 3, 8])
@pytest.mark.parametrize("name", sorted(RATE_NETS))
def test_rate_events_scores_and_cycles(name, P):
    """Rate coding on the fixed-network accelerator: every neuron's N events (t = 0..N-1),
    the average pool done by the reader of a pooled map, scores, prediction and the cycle
    model's phase counts."""
    net = RATE_NETS[name]()
    cfg = HardwareConfig(net, cores=P)
    images = R.random_images(np.random.default_rng(P), net.input_shape, 2)
    for image, obs in zip(images, run_inference(cfg, images)):
        exp = sb.expect(cfg, image)
        assert any(len(ts) > 1 for ts in exp.events[1].values()), "no neuron fires twice"
        sb.check(exp, obs, cycles=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_random_back_pressure(seed):
    net = NETS["conv_pool_dense"]()
    cfg = HardwareConfig(net, cores=2)
    images = R.random_images(np.random.default_rng(seed), net.input_shape, 2)
    obs = run_inference(cfg, images, ready_prob=0.4, valid_prob=0.5, seed=seed)
    for image, o in zip(images, obs):
        sb.check(sb.expect(cfg, image), o, cycles=False)


def test_integrate_count_follows_the_spike_buffer_order():
    """Layer 2 (1x1 kernel, stride 2) reaches an output from input (0, 0) only; layer 1 fired
    channel 1 at (0, 0) and channel 0 at (1, 0), in that order in the spike buffer (P = 2: the
    fire scan writes position by position). The event that reaches nothing comes last and
    overlaps the cores' drain; in the golden trace's neuron order it came first and the cycle
    model counted one cycle too many."""
    net = R.random_network(np.random.default_rng(5), (1, 2, 2),
                           [R.conv(2, 3, 1, 1), R.conv(1, 1, 2, 0), R.classifier(2)], T=4,
                           calib_images=4)
    image = R.random_images(np.random.default_rng(5), net.input_shape, 4, density=0.9)[1]
    tr = event.run(net, image)
    # the case: neurons 2 = (c0, 1, 0) (reaches nothing), 4 = (c1, 0, 0) and 6 = (c1, 1, 0)
    assert tr.layers[0].events[:, 0].tolist() == [2, 4, 6]
    cfg = HardwareConfig(net, cores=2)
    sb.check(sb.expect(cfg, image), run_inference(cfg, [image])[0], cycles=True)


def _order_dependent(net, P, image):
    """Whether layer 2's integrate count differs between the spike buffer's order of its input
    events and the golden trace's neuron order."""
    layer = net.layers[1]
    events = event.run(net, image).layers[0].events
    in_buffer = cycles.buffer_order(events, net.layers[0].pooled_shape, P)
    no_spikes = np.full(int(np.prod(layer.pooled_shape)), net.T)
    return (cycles.layer_cycles(net, layer, P, events, no_spikes).integrate
            != cycles.layer_cycles(net, layer, P, in_buffer, no_spikes).integrate)


@pytest.mark.parametrize("seed", range(3))
def test_random_stride2_layers_after_channel_groups(seed):
    """Random stride-2 layers whose input map has several channels per group (P >= 2), where
    input positions reach no output: the cycle model stays exact (the case drawn must depend on
    the spike buffer's order, so that a model reading the events in neuron order would fail)."""
    rng = np.random.default_rng([seed, 2])
    for _draw in range(100):
        h, w, K1 = (int(v) for v in rng.integers(2, 6, size=3))
        K2 = int(rng.integers(1, 4))
        spec = [R.conv(int(rng.integers(2, 6)), K1, 1, K1 // 2),
                R.conv(int(rng.integers(1, 5)), K2, 2, int(rng.integers(0, K2))),
                R.classifier(int(rng.integers(2, 5)))]
        try:
            net = R.random_network(rng, (int(rng.integers(1, 3)), h, w), spec,
                                   T=int(rng.integers(2, 6)), calib_images=2)
        except NetworkError:
            continue
        P = int(rng.integers(2, 5))
        images = R.random_images(rng, net.input_shape, 2, density=0.8)
        if any(_order_dependent(net, P, image) for image in images):
            break
    else:
        pytest.fail("no order-dependent case in 100 draws")
    cfg = HardwareConfig(net, cores=P)
    for image, obs in zip(images, run_inference(cfg, images)):
        sb.check(sb.expect(cfg, image), obs, cycles=True)


def test_integrate_utilisation_on_conv_layers():
    """Bundles carry P synaptic operations on every integrate cycle but the fixed overhead."""
    net = _net(5, [R.conv(8), R.pool(), R.conv(16), R.pool(), R.classifier(10)],
               shape=(1, 8, 8), T=8)
    image = R.random_images(np.random.default_rng(0), net.input_shape, 1, density=0.9)[0]
    for P in (1, 4, 8):
        cfg = HardwareConfig(net, cores=P)
        obs = run_inference(cfg, [image])[0]
        durations = sb.phase_durations(obs)
        model = cycles.network_cycles(net, event.run(net, image), P)
        for li in (0, 1):  # the conv layers
            busy = durations[li][0] - cycles.INTEGRATE_OVERHEAD
            util = model[li].lane_ops / (P * busy)
            assert util >= 0.9, (P, li, util)


def test_load_port_replaces_weights():
    """Loading another network's weights, biases and thresholds through ``load`` gives that
    network's results."""
    spec = [R.conv(3), R.pool(), R.classifier(4)]
    net_a, net_b = _net(6, spec), _net(7, spec)
    cfg_b = HardwareConfig(net_b, cores=2)
    need_a = HardwareConfig(net_a, cores=2)
    # the parameter fields are sized for both networks (the "shape limits" of the design)
    cfg_a = HardwareConfig(net_a, cores=2,
                           threshold_bits=max(need_a.threshold_bits, cfg_b.threshold_bits),
                           bias_bits=max(need_a.bias_bits, cfg_b.bias_bits))
    dut = Accelerator(cfg_a)
    image = R.random_images(np.random.default_rng(1), net_a.input_shape, 1)[0]
    writes = []
    for p, img in enumerate(cfg_b.weight_images()):
        writes += [(p, LoadTarget.WEIGHT, a, v) for a, v in enumerate(img)]
    bias, theta = cfg_b.param_images()
    for entry, (b, t) in enumerate(zip(bias, theta)):  # entry = addr * P + core
        writes += [(entry % 2, LoadTarget.BIAS, entry // 2, b),
                   (entry % 2, LoadTarget.THRESHOLD, entry // 2, t)]

    async def loader(ctx):
        for core, target, addr, value in writes:
            ctx.set(dut.load.valid, 1)
            ctx.set(dut.load.payload, {"core": core, "target": target, "addr": addr,
                                       "data": value})
            await ctx.tick().until(dut.load.ready)
        ctx.set(dut.load.valid, 0)

    obs = run_inference(cfg_b, [image], dut=dut, before=loader)[0]
    sb.check(sb.expect(cfg_b, image), obs, cycles=True)


def test_config_validation():
    net = NETS["dense_only"]()
    with pytest.raises(ConfigError, match=r"cores \(P\) must be an integer in 1..32, not 0"):
        HardwareConfig(net, cores=0)
    with pytest.raises(ConfigError, match="membrane_bits 4 outside"):
        HardwareConfig(net, cores=1, membrane_bits=4)
    need = HardwareConfig(net, cores=1)
    with pytest.raises(ConfigError, match=rf"threshold_bits {need.threshold_bits - 1} outside "
                                          rf"{need.threshold_bits}\.\.{need.membrane_bits - 1} "
                                          r"\(the network's largest Theta"):
        HardwareConfig(net, cores=1, threshold_bits=need.threshold_bits - 1)
    with pytest.raises(ConfigError, match=rf"bias_bits {need.membrane_bits + 1} outside"):
        HardwareConfig(net, cores=1, bias_bits=need.membrane_bits + 1)
    with pytest.raises(ConfigError, match="threshold_bits must be an integer"):
        HardwareConfig(net, cores=1, threshold_bits="8")
    wide = HardwareConfig(net, cores=1, threshold_bits=need.membrane_bits - 1,
                          bias_bits=need.membrane_bits)
    assert (wide.threshold_bits, wide.bias_bits) == (need.membrane_bits - 1, need.membrane_bits)


def test_manifest_interface_matches_the_ports_and_the_reset():
    """The manifest's ``interface`` (what an integrator reads) agrees with the emitted ports and
    with the simulated reset: CLEAR lasts ``clear_cycles`` from power-up, then IDLE."""
    from gen.verilog import top_ports
    from rtl.layouts import Phase
    net = NETS["conv_pool_dense"]()
    cfg = HardwareConfig(net, cores=3)
    iface = cfg.manifest()["interface"]
    dut = Accelerator(cfg)
    ports = {p["name"]: p["width"] for p in top_ports(dut)}
    for stream in ("scores", "trace", "load"):
        fields = iface["streams"][stream]["fields"]
        assert sum(f["width"] for f in fields) == ports[f"{stream}__payload"]
        assert [f["offset"] for f in fields] == \
            [sum(f["width"] for f in fields[:i]) for i in range(len(fields))]
    assert iface["streams"]["prediction"]["width"] == ports["prediction__payload"]
    assert iface["phase"]["encoding"] == {p.name: p.value for p in Phase}
    assert max(iface["phase"]["encoding"].values()).bit_length() == ports["phase"]
    assert (iface["reset"]["port"], iface["clock"]["port"]) == ("rst", "clk")
    load = iface["streams"]["load"]
    assert (load["weight_depth"], load["param_entries_per_core"], load["cores"]) == \
        (cfg.weight_depth, cfg.param_depth, 3)
    image = R.random_images(np.random.default_rng(0), net.input_shape, 1)[0]
    phases = run_inference(cfg, [image], dut=dut)[0].phases
    assert phases[:2] == [(0, Phase.CLEAR, 0), (iface["reset"]["clear_cycles"], Phase.IDLE, 0)]
