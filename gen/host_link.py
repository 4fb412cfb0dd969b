"""UART host link: the accelerator behind a 8N1 serial port, and the host side of the protocol.

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

Hardware: ``UartRx`` / ``UartTx`` are plain 8N1 (start bit, 8 data bits LSB first, stop bit)
with a clock divisor ``clk_hz // baud`` (115200 baud on the boards; a few clocks per bit in
simulation). ``HostLink`` instantiates ``rtl.top.Accelerator`` (without the trace stream) and the
command state machine; its only ports are ``rx`` and ``tx`` (plus ``busy`` for an LED).
"""

import numbers

from amaranth.hdl import Cat, Const, Module, ResetInserter, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from golden import contract
from rtl.neuron_core import LOAD_BIAS, LOAD_THRESHOLD, LOAD_WEIGHT
from rtl.top import Accelerator

__all__ = ["UartRx", "UartTx", "HostLink", "HostProtocol", "CMD_INFER", "CMD_LOAD",
           "CMD_IDENT", "RSP_RESULT", "RSP_ACK", "RSP_ERROR"]

CMD_INFER, CMD_LOAD, CMD_IDENT = 0x49, 0x4C, 0x3F
RSP_RESULT, RSP_ACK, RSP_ERROR = 0x52, 0x41, 0x45


def _not_int(v):
    return isinstance(v, bool) or not isinstance(v, numbers.Integral)


def score_bytes(membrane_bits):
    return (membrane_bits + 7) // 8


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
                send(RSP_ERROR)
                with m.If(utx.data.ready):
                    m.next = "CMD"
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
                send(RSP_RESULT)
                with m.If(utx.data.ready):
                    m.next = "SCORE_WAIT"
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
                send(RSP_ACK)
                with m.If(utx.data.ready):
                    m.next = "CMD"
        m.d.comb += self.busy.eq(~fsm.ongoing("CMD"))
        return m


class HostProtocol:
    """Host side of the protocol for one network: encodes commands, decodes answers.

    ``port`` (optional) is any object with ``write(bytes)`` and ``read(n) -> bytes`` (e.g. a
    ``serial.Serial`` at 115200 baud); ``infer`` and ``load`` then run a whole exchange.
    """

    def __init__(self, input_shape, classes, membrane_bits, port=None, *, bias_bits=None,
                 threshold_bits=None, cores=None, weight_depth=None, param_depth=None):
        self.input_shape = tuple(input_shape)
        self.classes = classes
        self.score_bytes = score_bytes(membrane_bits)
        self.bias_bits = membrane_bits if bias_bits is None else bias_bits
        self.threshold_bits = membrane_bits - 1 if threshold_bits is None else threshold_bits
        self.cores = cores
        self.depths = {LOAD_WEIGHT: weight_depth, LOAD_BIAS: param_depth,
                       LOAD_THRESHOLD: param_depth}
        self.port = port

    @classmethod
    def for_config(cls, config, port=None):
        return cls(config.network.input_shape, config.network.classes, config.membrane_bits,
                   port, bias_bits=config.bias_bits, threshold_bits=config.threshold_bits,
                   cores=config.cores, weight_depth=config.weight_depth,
                   param_depth=config.param_depth)

    @property
    def npix(self):
        c, h, w = self.input_shape
        return c * h * w

    @property
    def result_len(self):
        return 1 + self.classes * self.score_bytes + 1

    def encode_infer(self, image):
        import numpy as np
        img = np.asarray(image)
        if img.size != self.npix:
            raise ValueError(f"image has {img.size} pixels, the network takes {self.npix}")
        if img.min() < 0 or img.max() > 255:
            raise ValueError("pixels must be uint8 (0..255)")
        return bytes([CMD_INFER]) + bytes(img.astype("uint8").reshape(-1).tolist())

    def decode_result(self, data):
        """``(prediction, [scores])`` from the board's answer to an infer command."""
        data = bytes(data)
        if len(data) != self.result_len or data[0] != RSP_RESULT:
            raise ValueError(f"bad result frame ({len(data)} bytes, expected {self.result_len} "
                             f"starting with 0x{RSP_RESULT:02x})")
        sb = self.score_bytes
        scores = [int.from_bytes(data[1 + i * sb:1 + (i + 1) * sb], "little", signed=True)
                  for i in range(self.classes)]
        return data[-1], scores

    def encode_load(self, core, target, addr, value):
        """The bytes of a load command. A load that addresses no memory (``core`` >= P, an
        unknown ``target``, ``addr`` >= the target memory's depth) is refused, as the hardware
        would refuse it, and so is a value that does not fit its field (the hardware would cut
        it): ``ValueError`` naming the field."""
        if self.cores is None or None in self.depths.values():
            raise ValueError("encode_load needs the design's cores, weight_depth and "
                             "param_depth (HostProtocol.for_config, or manifest.json)")
        if _not_int(target) or target not in self.depths:
            raise ValueError(f"load target {target!r} is not {LOAD_WEIGHT} (weight), "
                             f"{LOAD_BIAS} (bias) or {LOAD_THRESHOLD} (threshold)")
        if _not_int(core) or not 0 <= core < self.cores:
            raise ValueError(f"load core {core!r} outside 0..{self.cores - 1} (P = {self.cores})")
        depth = self.depths[target]
        if _not_int(addr) or not 0 <= addr < depth:
            memory = "weight memory" if target == LOAD_WEIGHT else "parameter memory (per core)"
            raise ValueError(f"load addr {addr!r} outside 0..{depth - 1} (depth of the "
                             f"{memory})")
        value = int(value)
        if target == LOAD_WEIGHT:
            contract.validate_codes(value, "weight code")
        elif target == LOAD_BIAS:
            lo, hi = -(1 << (self.bias_bits - 1)), (1 << (self.bias_bits - 1)) - 1
            if not lo <= value <= hi:
                raise ValueError(f"bias {value} does not fit bias_bits {self.bias_bits} "
                                 f"({lo}..{hi})")
        else:
            hi = (1 << self.threshold_bits) - 1
            if not 1 <= value <= hi:
                raise ValueError(f"threshold {value} outside 1..{hi} (threshold_bits "
                                 f"{self.threshold_bits})")
        sb = self.score_bytes
        return (bytes([CMD_LOAD, core, target]) + int(addr).to_bytes(2, "little") +
                int(value).to_bytes(sb, "little", signed=True))

    def infer(self, image):
        self.port.write(self.encode_infer(image))
        return self.decode_result(self.port.read(self.result_len))

    def load(self, core, target, addr, value):
        self.port.write(self.encode_load(core, target, addr, value))
        ack = self.port.read(1)
        if ack != bytes([RSP_ACK]):
            raise IOError(f"load not acknowledged (got {ack!r})")
