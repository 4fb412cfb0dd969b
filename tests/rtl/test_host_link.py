"""The UART host link (``UartRx``, ``UartTx``, ``HostLink``: the accelerator behind the serial
protocol of ``docs/host_protocol.md``) in Amaranth's simulator, frames driven bit by bit."""

import numpy as np
import pytest
from amaranth.hdl import Elaboratable
from amaranth.sim import Simulator

from gen.host_protocol import HostProtocol
from golden import event
from golden.randnet import classifier, conv, pool, random_images, random_network
from rtl.config import HardwareConfig
from rtl.host_link import CMD_IDENT, CMD_LOAD, RSP_ACK, RSP_ERROR, HostLink
from rtl.layouts import LoadTarget
from rtl.uart import UartRx, UartTx

DIV = 4  # clocks per bit in simulation


def _uart_bytes_in(ctx, dut_rx, data, div):
    """Async helper: drive ``data`` onto ``dut_rx`` as 8N1 frames."""
    async def go():
        for byte in data:
            bits = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
            for b in bits:
                ctx.set(dut_rx, b)
                await ctx.tick().repeat(div)
        # one idle bit between commands and the end
        await ctx.tick().repeat(div)
    return go()


def _uart_collector(dut_tx, out, div):
    """Background process: append every 8N1 byte seen on ``dut_tx`` to ``out``."""
    async def proc(ctx):
        while True:
            await ctx.tick()
            if ctx.get(dut_tx) == 0:
                await ctx.tick().repeat(div // 2)        # middle of the start bit
                byte = 0
                for i in range(8):
                    await ctx.tick().repeat(div)
                    byte |= ctx.get(dut_tx) << i
                await ctx.tick().repeat(div)              # stop bit
                assert ctx.get(dut_tx) == 1, "framing error"
                out.append(byte)
    return proc


async def _wait_bytes(ctx, out, n, timeout):
    """Wait until ``out`` holds ``n`` bytes; pop and return them."""
    for _ in range(timeout):
        if len(out) >= n:
            break
        await ctx.tick()
    else:
        raise AssertionError(f"timeout: {len(out)} of {n} bytes received: {out}")
    got = bytes(out[:n])
    del out[:n]
    return got


def test_uart_loopback():
    rx, tx = UartRx(DIV), UartTx(DIV)
    sent = [0x00, 0xFF, 0x55, 0xA3]
    got = []

    sim = Simulator(_Loop(rx, tx))
    sim.add_clock(1e-6)

    async def tb(ctx):
        await _uart_bytes_in(ctx, rx.rx, sent, DIV)

        assert await _wait_bytes(ctx, got, len(sent), 2000) == bytes(sent)

    sim.add_testbench(_uart_collector(tx.tx, got, DIV), background=True)
    sim.add_testbench(tb)
    sim.run()


class _Loop(Elaboratable):
    """rx.data -> tx.data."""
    def __init__(self, rx, tx):
        self.rx, self.tx = rx, tx

    def elaborate(self, platform):
        from amaranth.hdl import Module
        from amaranth.lib import wiring
        m = Module()
        m.submodules.rx, m.submodules.tx = self.rx, self.tx
        wiring.connect(m, self.rx.data, self.tx.data)
        return m


def _small_net():
    return random_network(np.random.default_rng(0), (1, 8, 8),
                          [conv(4), pool(), conv(6), pool(), classifier(5)], T=4, name="tiny")


@pytest.mark.parametrize("cores", [2])
def test_host_link_end_to_end(cores):
    net = _small_net()
    cfg = HardwareConfig(net, cores=cores, trace=False)
    dut = HostLink(cfg, divisor=DIV)
    proto = HostProtocol.for_config(cfg)
    images = random_images(np.random.default_rng(1), net.input_shape, n=2)
    answers, rxq = [], []

    async def tb(ctx):
        # identify, a bad command, a load that rewrites a weight with its own value, 2 images
        await _uart_bytes_in(ctx, dut.rx, bytes([CMD_IDENT]), DIV)
        answers.append(await _wait_bytes(ctx, rxq, 6, 1000))
        await _uart_bytes_in(ctx, dut.rx, b"\x00", DIV)
        answers.append(await _wait_bytes(ctx, rxq, 1, 1000))
        code = cfg.weight_images()[1][0]       # rewrite core 1's first weight with itself
        await _uart_bytes_in(ctx, dut.rx, proto.encode_load(1, 0, 0, code), DIV)
        answers.append(await _wait_bytes(ctx, rxq, 1, 1000))
        for img in images:
            frame = proto.encode_infer(img)
            await _uart_bytes_in(ctx, dut.rx, frame, DIV)
            answers.append(await _wait_bytes(ctx, rxq, proto.result_len, 200_000))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(_uart_collector(dut.tx, rxq, DIV), background=True)
    sim.add_testbench(tb)
    sim.run()
    c, h, w = net.input_shape
    assert answers[0] == bytes([CMD_IDENT, net.classes, proto.score_bytes, c, h, w])
    assert answers[1] == bytes([RSP_ERROR])
    assert answers[2] == bytes([RSP_ACK])
    for img, ans in zip(images, answers[3:]):
        ref = event.run(net, img)
        pred, scores = proto.decode_result(ans)
        assert scores == [int(s) for s in ref.scores]
        assert pred == ref.prediction


def _run_link(cfg, commands, **options):
    """Send each (frame, answer length) to a HostLink and collect the answers."""
    dut = HostLink(cfg, divisor=DIV, **options)
    answers, rxq = [], []

    async def tb(ctx):
        for frame, n in commands:
            await _uart_bytes_in(ctx, dut.rx, frame, DIV)
            answers.append(await _wait_bytes(ctx, rxq, n, 200_000))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(_uart_collector(dut.tx, rxq, DIV), background=True)
    sim.add_testbench(tb)
    sim.run()
    return answers


def _raw_load(proto, core, target, addr, value):
    """A load frame built by hand: ``HostProtocol.encode_load`` refuses these."""
    return (bytes([CMD_LOAD, core, target]) + addr.to_bytes(2, "little") +
            value.to_bytes(proto.score_bytes, "little", signed=True))


def test_bad_loads_answer_error_and_write_nothing():
    P = 3  # the accelerator's core field (2 bits) holds 3, a core that does not exist
    net = _small_net()
    cfg = HardwareConfig(net, cores=P, trace=False)
    proto = HostProtocol.for_config(cfg)
    lowest = -(1 << (cfg.bias_bits - 1))  # a bias that changes the scores wherever it lands
    bad = [(P, LoadTarget.BIAS, 0, lowest), (8, LoadTarget.BIAS, 0, lowest),
           (0x80 + 1, LoadTarget.WEIGHT, 0, 0), (0, 3, 0, lowest), (1, 0x81, 0, lowest),
           (0, LoadTarget.WEIGHT, cfg.weight_depth, 0), (1, LoadTarget.WEIGHT, 0x100 + 7, 0),
           (0, LoadTarget.BIAS, cfg.param_depth, lowest), (2, LoadTarget.THRESHOLD, 0xFFFF, 1)]
    bias, theta = cfg.param_images()
    good = [(2, LoadTarget.BIAS, 1, bias[1 * P + 2]), (0, LoadTarget.THRESHOLD, 0, theta[0])]
    image = random_images(np.random.default_rng(3), net.input_shape, n=1)[0]
    answers = _run_link(cfg, [(_raw_load(proto, *load), 1) for load in bad] +
                        [(proto.encode_load(*load), 1) for load in good] +
                        [(proto.encode_infer(image), proto.result_len)])
    assert answers[:len(bad) + len(good)] == [bytes([RSP_ERROR])] * len(bad) + \
        [bytes([RSP_ACK])] * len(good)
    ref = event.run(net, image)
    assert proto.decode_result(answers[-1]) == (ref.prediction, [int(s) for s in ref.scores])


def test_truncated_frames_are_abandoned():
    """A frame cut short is answered E after the timeout, and the next command is read as a
    command (not as the rest of the frame)."""
    net = _small_net()
    cfg = HardwareConfig(net, cores=2, trace=False)
    proto = HostProtocol.for_config(cfg)
    first, second = random_images(np.random.default_rng(4), net.input_shape, n=2)
    load = proto.encode_load(1, LoadTarget.WEIGHT, 0, cfg.weight_images()[1][0])
    infer = proto.encode_infer(first)
    c, h, w = net.input_shape
    answers = _run_link(cfg, [
        (load[:4], 1),                                   # 4 of 4 + SB bytes
        (bytes([CMD_IDENT]), 6),
        (infer[:1 + c * h * w // 2], 1),                 # half an image: the accelerator is
        (proto.encode_infer(second), proto.result_len),  # in its input phase
        (load[:1], 1),
        (load, 1),
        (infer, proto.result_len),
    ], timeout_bits=40)
    assert answers[0] == bytes([RSP_ERROR])
    assert answers[1] == bytes([CMD_IDENT, net.classes, proto.score_bytes, c, h, w])
    assert answers[2] == bytes([RSP_ERROR])
    assert answers[4:6] == [bytes([RSP_ERROR]), bytes([RSP_ACK])]
    for image, answer in ((second, answers[3]), (first, answers[6])):
        ref = event.run(net, image)
        assert proto.decode_result(answer) == (ref.prediction, [int(s) for s in ref.scores])
