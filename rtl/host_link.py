"""UART host link: the accelerator behind a 8N1 serial port (the hardware side of the protocol;
the host side is ``gen.host_protocol.HostProtocol``).

Protocol (all multi-byte fields little-endian; ``SB`` = score bytes = ceil(membrane_bits / 8),
``N`` = C*H*W of the network input, ``NCLS`` = classes):

    host -> board                              board -> host
    ------------------------------------       -------------------------------------------------
    0x49 'I', then N pixel bytes (C,H,W order)  0x52 'R', NCLS scores (SB bytes each, two's
                                                complement, sign-extended, class order), then
                                                the prediction (1 byte)
    0x4C 'L', core (1), target (1: 0 weight,    0x41 'A' once the write is done; 0x45 'E'
      1 bias, 2 threshold), addr (2),            and nothing written when core >= P,
      data (SB bytes, two's complement)          target > 2 or addr >= the target's depth
    0x3F '?' (identify)                         0x3F '?', NCLS, SB, C, H, W (1 byte each)
    any other byte                              0x45 'E' (the byte is ignored)

The board answers the ``R`` byte as soon as the last pixel is taken, then streams the scores as
the classifier produces them. Commands are handled one at a time; the host waits for each answer
before it sends the next command. Load writes are accepted by the accelerator only while idle,
which is always the case between commands. A frame cut short is abandoned after a silence of
``HostLink.TIMEOUT_BITS`` bit periods and answered ``E`` (see ``HostLink``). Documented in
``docs/host_protocol.md`` too.

Hardware: ``uart.UartRx`` / ``uart.UartTx`` are plain 8N1 with a clock divisor
``clk_hz // baud`` (115200 baud on the boards; a few clocks per bit in simulation).
``HostLink`` instantiates ``top.Accelerator`` (without the trace stream) and the command state
machine; its only ports are ``rx`` and ``tx`` (plus ``busy`` for an LED).
"""

from amaranth.hdl import Cat, Const, Module, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .top import Accelerator
from .uart import UartRx, UartTx

__all__ = ["HostLink", "score_bytes", "CMD_INFER", "CMD_LOAD", "CMD_IDENT", "RSP_RESULT",
           "RSP_ACK", "RSP_ERROR"]

CMD_INFER, CMD_LOAD, CMD_IDENT = 0x49, 0x4C, 0x3F
RSP_RESULT, RSP_ACK, RSP_ERROR = 0x52, 0x41, 0x45


def score_bytes(membrane_bits):
    """Bytes of a score on the link: the membrane width rounded up to bytes."""
    return (membrane_bits + 7) // 8


class HostLink(wiring.Component):
    """``Accelerator(config)`` behind the UART protocol of this module.

    ``config`` must have ``trace=False``. ``divisor`` = clock frequency / baud rate.

    Resynchronisation: inside a frame (the pixels of ``I``, the payload of ``L``), a gap of more
    than ``timeout_bits`` bit periods (default 11,520: 100 ms at 115200 baud) with no byte
    abandons the frame: nothing is written, a partly sent image is dropped by resetting the
    accelerator (whose reset clears its membranes), and the board answers ``E`` once the
    accelerator is idle again; the next byte is a command. Without it a truncated frame would
    take the following commands as its payload.
    """

    #: default inter-byte timeout inside a frame, in bit periods (100 ms at 115200 baud)
    TIMEOUT_BITS = 11_520

    def __init__(self, config, *, divisor, timeout_bits=TIMEOUT_BITS):
        if isinstance(timeout_bits, bool) or not isinstance(timeout_bits, int) or \
                timeout_bits < 20:
            raise ValueError(f"timeout_bits must be an integer >= 20 (two bytes), not "
                             f"{timeout_bits!r}")
        if config.trace:
            raise ValueError("HostLink needs a configuration without the trace stream")
        if max(config.weight_depth, config.param_depth) > 1 << 16:
            raise ValueError(f"weight memory depth {config.weight_depth} exceeds the load "
                             "command's 16-bit address")
        self._config = config
        self._div = divisor
        self._timeout = timeout_bits * divisor
        super().__init__({"rx": In(1, init=1), "tx": Out(1), "busy": Out(1)})

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        C, H, W = cfg.network.input_shape
        npix = C * H * W
        sb = score_bytes(cfg.membrane_bits)
        ncls = cfg.network.classes
        acc = Accelerator(cfg)
        abandon = Signal(name="abandon_image")  # resets the accelerator: drops a partial image
        m.submodules.accel = ResetInserter(abandon)(acc)
        m.submodules.uart_rx = urx = UartRx(self._div)
        m.submodules.uart_tx = utx = UartTx(self._div)
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx)]

        rxd = urx.data
        count = Signal(range(max(npix, 4 + sb, sb, 6) + 1))
        load_bytes = Signal(8 * (4 + sb))         # core, target, addr lo/hi, data
        score = Signal(8 * sb)
        ident = Signal(8 * 8)
        m.d.comb += ident.eq(Cat(Const(CMD_IDENT, 8), Const(ncls, 8), Const(sb, 8),
                                 Const(C, 8), Const(H, 8), Const(W, 8)))
        core, target, addr = load_bytes[0:8], load_bytes[8:16], load_bytes[16:32]
        m.d.comb += [
            acc.load.p.core.eq(core),
            acc.load.p.target.eq(target),
            acc.load.p.addr.eq(addr),
            acc.load.p.data.eq(load_bytes[32:32 + cfg.membrane_bits]),
        ]
        # a field wider than the accelerator's is refused here; the accelerator refuses the
        # values its fields hold but that address no memory (``load_error``)
        cut = Cat(core[len(acc.load.p.core):], target[len(acc.load.p.target):],
                  addr[len(acc.load.p.addr):]).any()

        def send(byte):
            m.d.comb += [utx.data.payload.eq(byte), utx.data.valid.eq(1)]

        def answer(byte, then):
            """Send one byte, then go to state ``then``."""
            send(byte)
            with m.If(utx.data.ready):
                m.next = then

        # clocks without a byte inside a frame; restarted by every byte and every command
        silent = Signal(range(self._timeout + 1), name="frame_silent")
        with m.If(rxd.valid):
            m.d.sync += silent.eq(0)
        with m.Elif(silent != self._timeout):
            m.d.sync += silent.eq(silent + 1)
        timed_out = silent == self._timeout

        with m.FSM() as fsm:
            with m.State("CMD"):
                m.d.comb += rxd.ready.eq(1)
                with m.If(rxd.valid):
                    m.d.sync += count.eq(0)
                    with m.Switch(rxd.payload):
                        with m.Case(CMD_INFER):
                            m.next = "INFER_ACK"
                        with m.Case(CMD_LOAD):
                            m.next = "LOAD_BYTES"
                        with m.Case(CMD_IDENT):
                            m.next = "IDENT"
                        with m.Default():
                            m.next = "ERROR"
            with m.State("ERROR"):
                answer(RSP_ERROR, then="CMD")
            with m.State("IDENT"):
                send(ident.word_select(count[:3], 8))
                with m.If(utx.data.ready):
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == 5):
                        m.next = "CMD"
            with m.State("INFER_ACK"):
                # pixels stream straight into the accelerator (it takes one per cycle)
                m.d.comb += [acc.pixels.valid.eq(rxd.valid), acc.pixels.payload.eq(rxd.payload),
                             rxd.ready.eq(acc.pixels.ready)]
                with m.If(rxd.valid & acc.pixels.ready):
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == npix - 1):
                        m.next = "RESULT"
                with m.Elif(timed_out):
                    m.d.comb += abandon.eq(1)
                    m.next = "RECOVER"
            with m.State("RECOVER"):
                # the accelerator clears its membranes after the reset; answer once it is idle
                # (ready for loads), so that the next command finds it ready
                with m.If(acc.load.ready):
                    m.next = "ERROR"
            with m.State("RESULT"):
                answer(RSP_RESULT, then="SCORE_WAIT")
            with m.State("SCORE_WAIT"):
                m.d.comb += acc.scores.ready.eq(1)
                with m.If(acc.scores.valid):
                    m.d.sync += [score.eq(acc.scores.p.score.as_signed()), count.eq(0)]
                    m.next = "SCORE_SEND"
                with m.Elif(acc.prediction.valid):
                    m.next = "PREDICT"
            with m.State("SCORE_SEND"):
                send(score.word_select(count[:max(1, (sb - 1).bit_length())], 8)
                     if sb > 1 else score[:8])
                with m.If(utx.data.ready):
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == sb - 1):
                        m.next = "SCORE_WAIT"
            with m.State("PREDICT"):
                send(acc.prediction.payload)
                with m.If(utx.data.ready):
                    m.d.comb += acc.prediction.ready.eq(1)
                    m.next = "CMD"
            with m.State("LOAD_BYTES"):
                m.d.comb += rxd.ready.eq(1)
                with m.If(rxd.valid):
                    m.d.sync += [load_bytes.eq(Cat(load_bytes[8:], rxd.payload)),
                                 count.eq(count + 1)]
                    with m.If(count == 4 + sb - 1):
                        m.next = "LOAD_WRITE"
                with m.Elif(timed_out):
                    m.next = "ERROR"
            with m.State("LOAD_WRITE"):
                with m.If(cut):
                    m.next = "ERROR"
                with m.Else():
                    m.d.comb += acc.load.valid.eq(1)
                    with m.If(acc.load.ready & acc.load_error):
                        m.next = "ERROR"
                    with m.Elif(acc.load.ready):
                        m.next = "LOAD_ACK"
            with m.State("LOAD_ACK"):
                answer(RSP_ACK, then="CMD")
        m.d.comb += self.busy.eq(~fsm.ongoing("CMD"))
        return m
