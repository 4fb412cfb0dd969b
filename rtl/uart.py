"""8N1 UART receiver and transmitter (start bit, 8 data bits LSB first, stop bit) with a clock
divisor ``clk_hz // baud``; the serial port of ``host_link.HostLink``."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UartRx", "UartTx"]


class UartRx(wiring.Component):
    """8N1 receiver. ``data`` is a stream without back-pressure: a byte is held until taken
    or until the next byte overwrites it (``overrun`` pulses then)."""

    def __init__(self, divisor):
        if divisor < 2:
            raise ValueError(f"UART divisor must be >= 2, not {divisor}")
        self._div = divisor
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8)),
                          "overrun": Out(1)})

    def elaborate(self, platform):
        m = Module()
        div = self._div
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(div + div // 2 + 1))
        bit = Signal(range(10))
        shreg = Signal(8)
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        m.d.sync += self.overrun.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    # sample the first data bit in the middle: 1.5 bit periods after the edge
                    m.d.sync += [timer.eq(div + div // 2 - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(div - 1), shreg.eq(Cat(shreg[1:], rx)),
                                 bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
            with m.State("STOP"):
                with m.If(timer == 0):
                    with m.If(rx):
                        m.d.sync += [self.data.payload.eq(shreg), self.data.valid.eq(1),
                                     self.overrun.eq(self.data.valid & ~self.data.ready)]
                    m.next = "IDLE"     # a framing error drops the byte
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
        return m


class UartTx(wiring.Component):
    """8N1 transmitter with a stream input."""

    def __init__(self, divisor):
        if divisor < 2:
            raise ValueError(f"UART divisor must be >= 2, not {divisor}")
        self._div = divisor
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self._div))
        bits = Signal(4)                   # bits left to send (10 per frame)
        shreg = Signal(10, init=0x3FF)
        m.d.comb += [self.tx.eq(shreg[0]), self.data.ready.eq(bits == 0)]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [shreg.eq(Cat(Const(0, 1), self.data.payload, Const(1, 1))),
                         bits.eq(10), timer.eq(self._div - 1)]
        with m.Elif(bits != 0):
            with m.If(timer == 0):
                m.d.sync += [shreg.eq(Cat(shreg[1:], Const(1, 1))), bits.eq(bits - 1),
                             timer.eq(self._div - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        return m
