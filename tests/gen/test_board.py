"""Host link (UART + accelerator) end to end in Amaranth's simulator, and the board build's
command line (no place-and-route here: that is ``make bitstream``)."""

import os

import numpy as np
import pytest
from amaranth.hdl import Elaboratable
from amaranth.sim import Simulator

from gen.host_link import (CMD_IDENT, RSP_ACK, RSP_ERROR, HostLink, HostProtocol, UartRx,
                           UartTx)
from golden import event
from golden.randnet import classifier, conv, pool, random_images, random_network
from rtl.config import HardwareConfig

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


def test_protocol_codec():
    proto = HostProtocol((1, 2, 2), 3, 20)
    assert proto.score_bytes == 3
    assert proto.encode_infer(np.array([[[1, 2], [3, 255]]])) == bytes([0x49, 1, 2, 3, 255])
    frame = bytes([0x52]) + (-5).to_bytes(3, "little", signed=True) + \
        (7).to_bytes(3, "little", signed=True) + (0).to_bytes(3, "little", signed=True) + b"\x01"
    assert proto.decode_result(frame) == (1, [-5, 7, 0])
    with pytest.raises(ValueError):
        proto.decode_result(frame[:-1])
    with pytest.raises(ValueError):
        proto.encode_infer(np.zeros(5))
    assert proto.encode_load(2, 1, 0x123, -1) == bytes([0x4C, 2, 1, 0x23, 0x01, 0xFF, 0xFF, 0xFF])


def test_protocol_refuses_values_that_do_not_fit_their_field():
    """The hardware cuts a load's data to its field, so the host refuses what would be cut."""
    from golden.contract import ContractError
    proto = HostProtocol((1, 2, 2), 3, 20, bias_bits=6, threshold_bits=5)
    assert proto.encode_load(0, 1, 0, -32)[-3:] == (-32).to_bytes(3, "little", signed=True)
    assert proto.encode_load(0, 2, 0, 31)[-3:] == (31).to_bytes(3, "little", signed=True)
    with pytest.raises(ValueError, match=r"bias 32 does not fit bias_bits 6 \(-32..31\)"):
        proto.encode_load(0, 1, 0, 32)
    with pytest.raises(ValueError, match=r"threshold 32 outside 1..31 \(threshold_bits 5\)"):
        proto.encode_load(0, 2, 0, 32)
    with pytest.raises(ValueError, match="threshold 0 outside"):
        proto.encode_load(0, 2, 0, 0)
    with pytest.raises(ContractError, match="outside 0..31"):
        proto.encode_load(0, 0, 0, 32)
    with pytest.raises(ValueError, match="load target 3"):
        proto.encode_load(0, 3, 0, 1)


@pytest.mark.parametrize("board", ["icebreaker", "ice40-hx8k-evn", "ulx3s-85f"])
def test_board_build_files(board, tmp_path):
    """Every board of constraints/targets.json elaborates on its platform (clock, UART and LED
    resources exist) and writes its build script and pin file; no place and route here."""
    from gen.board import build_board
    summary = build_board(board, "digits", 1, out=str(tmp_path), do_build=False)
    assert summary["board"] == board and summary["cores"] == 1
    names = os.listdir(tmp_path)
    assert any(n.startswith("build_snn_board") for n in names), names
    assert any(n.endswith((".pcf", ".lpf")) for n in names), names
