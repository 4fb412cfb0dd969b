"""The processor's control registers: an AXI4-Lite slave (docs/PROCESSOR.md, section 5)."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .axi import RESP_OKAY, RESP_SLVERR, BusSignature
from .checks import integer

__all__ = ["AxiLiteSignature", "ProcessorRegisters", "REGISTERS", "EVENTS_BASE", "ID_VALUE",
           "ADDR_BITS", "ERROR_NONE", "ERROR_IMAGE", "ERROR_FIT", "ERROR_AXI", "ERROR_BUSY",
           "capacity_words"]

#: the register block decodes a 4 KB window (the low 12 address bits)
ADDR_BITS = 12
#: the ID register's value, "SNNP"
ID_VALUE = 0x534E4E50
#: byte offsets of the registers (64-bit values: low word, then high word at +4)
REGISTERS = {
    "ID": 0x00, "CAPACITY0": 0x04, "CAPACITY1": 0x08, "CONTROL": 0x10, "STATUS": 0x14,
    "ERROR": 0x18, "PREDICTION": 0x1C, "IMAGE_BASE": 0x20, "IMAGE_BASE_HI": 0x24,
    "INPUT_BASE": 0x28, "INPUT_BASE_HI": 0x2C, "CYCLES": 0x30, "CYCLES_HI": 0x34,
    "BYTES": 0x38, "BYTES_HI": 0x3C,
}
#: EVENTS[l] is at EVENTS_BASE + 4 * l, l = 0..max_layers
EVENTS_BASE = 0x100
#: ERROR codes (the processor sets them; the host reads them)
ERROR_NONE, ERROR_IMAGE, ERROR_FIT, ERROR_AXI, ERROR_BUSY = 0, 1, 2, 3, 4
#: CONTROL and STATUS bits
CONTROL_START, CONTROL_IRQ_ENABLE = 1 << 0, 1 << 1
STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 1 << 0, 1 << 1, 1 << 2


class AxiLiteSignature(BusSignature):
    """An AXI4-Lite bus of 32-bit data from the master's side (a slave takes
    ``In(AxiLiteSignature(...))``): ``awaddr, awprot, awvalid`` / ``awready``, ``wdata, wstrb,
    wvalid`` / ``wready``, ``bresp, bvalid`` / ``bready``, ``araddr, arprot, arvalid`` /
    ``arready``, ``rdata, rresp, rvalid`` / ``rready``; as ``s_axil_awaddr`` ... on a Verilog top
    whose member is ``s_axil`` (cocotbext-axi's ``AxiLiteBus.from_prefix(dut, "s_axil")``).

    Handshakes as in AXI4 (A3.2): a transfer on an edge with ``valid`` and ``ready`` both 1;
    ``valid`` and its payload hold until then and never wait for ``ready``.
    """

    def __init__(self, *, addr_bits=ADDR_BITS):
        integer("addr_bits", addr_bits, 3, 64)
        self.addr_bits = addr_bits
        super().__init__({
            "awaddr": Out(addr_bits), "awprot": Out(3), "awvalid": Out(1), "awready": In(1),
            "wdata": Out(32), "wstrb": Out(4), "wvalid": Out(1), "wready": In(1),
            "bresp": In(2), "bvalid": In(1), "bready": Out(1),
            "araddr": Out(addr_bits), "arprot": Out(3), "arvalid": Out(1), "arready": In(1),
            "rdata": In(32), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
        })

    def __eq__(self, other):
        return type(other) is type(self) and other.addr_bits == self.addr_bits

    def __hash__(self):
        return hash((type(self), self.addr_bits))

    def __repr__(self):
        return f"AxiLiteSignature(addr_bits={self.addr_bits})"


def _log2_ceil(n):
    return (n - 1).bit_length()


def capacity_words(*, cores, T, F, max_layers, membrane_words, weight_words, spike_events,
                   data_bits):
    """(CAPACITY0, CAPACITY1): P, T, F, max_layers in bytes 0..3; log2 of the membrane,
    weight and spike-buffer depths (rounded up) and the beat bytes in bytes 0..3."""
    fields0 = {"cores": cores, "T": T, "F": F, "max_layers": max_layers}
    fields1 = {"log2 membrane_words": _log2_ceil(membrane_words),
               "log2 weight_words": _log2_ceil(weight_words),
               "log2 spike_events": _log2_ceil(spike_events), "data_bits/8": data_bits // 8}
    words = []
    for fields in (fields0, fields1):
        word = 0
        for i, (name, v) in enumerate(fields.items()):
            integer(name, v, 0, 255)
            word |= v << (8 * i)
        words.append(word)
    return tuple(words)


class ProcessorRegisters(wiring.Component):
    """The register map of docs/PROCESSOR.md section 5 behind an AXI4-Lite slave.

    Ports (the processor's side):
        s_axil (in, ``AxiLiteSignature``): the bus. Writes: AW and W are taken independently
            (each once its holding register is free); the write is done the cycle after both
            are held and B is free, and B answers the cycle after that. Reads: AR is taken when
            no read is pending, R answers three cycles later (``events_index`` is held for two
            cycles first). One write and one read may be in progress at once.
            Responses: OKAY for every register of the map (writes to read-only registers are
            ignored; ``wstrb`` masks the bytes of the read-write ones); SLVERR, read data 0, for
            any other address (0x0C, 0x40..0xFC, EVENTS past ``max_layers``, ...), so a host
            driver with a wrong offset fails loudly. Address bits 1..0 are ignored.
        image_base, input_base (out, ``addr_bits``): IMAGE_BASE and INPUT_BASE (with
            ``addr_bits`` = 32 the high words read 0 and ignore writes).
        start (out): 1 for one cycle after a write of CONTROL with bit 0 set.
        irq_enable (out): CONTROL bit 1.
        irq (out): STATUS.done & irq_enable.
        busy (in): STATUS bit 0.
        finished (in): 1 for a cycle at the end of an inference: sets STATUS.done (which stays
            until the host writes 1 to it; a ``finished`` in the cycle of that write wins).
        error_code (in, 8 bits): ERROR; STATUS bit 2 is ``error_code != 0``.
        prediction (in, 16 bits), cycles (in, 64), bytes_read (in, 64): PREDICTION, CYCLES,
            BYTES (the processor holds them stable between inferences).
        events_index (out) / events_count (in, 32 bits): EVENTS[events_index]; a synchronous
            read port (the count one cycle after the index) or combinational logic both work.

    Reset: no transfer in progress, every read-write register 0, STATUS.done 0, no ``start``.

    Parameters (keyword-only): the capacity (``cores``, ``T``, ``F``, ``max_layers``,
    ``membrane_words``, ``weight_words``, ``spike_events``, ``data_bits``: see
    ``capacity_words``) and ``addr_bits`` (32..64) of the base addresses.
    """

    def __init__(self, *, cores, T, F, max_layers, membrane_words, weight_words,
                 spike_events, data_bits, addr_bits=32):
        integer("max_layers", max_layers, 1, 255)
        for name, v in (("membrane_words", membrane_words), ("weight_words", weight_words),
                        ("spike_events", spike_events)):
            integer(name, v, 1)
        self.capacity = capacity_words(cores=cores, T=T, F=F, max_layers=max_layers,
                                       membrane_words=membrane_words, weight_words=weight_words,
                                       spike_events=spike_events, data_bits=data_bits)
        self.addr_bits = integer("addr_bits", addr_bits, 32, 64)
        self.max_layers = max_layers
        super().__init__({
            "s_axil": In(AxiLiteSignature()),
            "image_base": Out(addr_bits),
            "input_base": Out(addr_bits),
            "start": Out(1),
            "irq_enable": Out(1),
            "irq": Out(1),
            "busy": In(1),
            "finished": In(1),
            "error_code": In(8),
            "prediction": In(16),
            "cycles": In(64),
            "bytes_read": In(64),
            "events_index": Out(range(max_layers + 1)),
            "events_count": In(32),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.s_axil
        done = Signal(name="done")
        m.d.comb += self.irq.eq(done & self.irq_enable)
        m.d.sync += self.start.eq(0)
        events = range(EVENTS_BASE // 4, EVENTS_BASE // 4 + self.max_layers + 1)

        # -- writes: AW and W into holding registers, then one write, then B
        aw_held, w_held, b_pending = (Signal(name=n) for n in ("aw_held", "w_held", "b_pending"))
        aw_word = Signal(ADDR_BITS - 2, name="aw_word")
        w_data = Signal(32, name="w_data")
        w_strb = Signal(4, name="w_strb")
        b_resp = Signal(2, name="b_resp")
        m.d.comb += [bus.awready.eq(~aw_held), bus.wready.eq(~w_held),
                     bus.bvalid.eq(b_pending), bus.bresp.eq(b_resp)]
        with m.If(bus.awvalid & bus.awready):
            m.d.sync += [aw_held.eq(1), aw_word.eq(bus.awaddr[2:ADDR_BITS])]
        with m.If(bus.wvalid & bus.wready):
            m.d.sync += [w_held.eq(1), w_data.eq(bus.wdata), w_strb.eq(bus.wstrb)]
        with m.If(bus.bvalid & bus.bready):
            m.d.sync += b_pending.eq(0)

        byte_mask = Cat(s.replicate(8) for s in w_strb)

        def write_word(reg, word):
            """The masked write of 32-bit word ``word`` (0 low, 1 high) of register ``reg``."""
            lo = 32 * word
            width = min(32, len(reg) - lo)
            if width > 0:
                old = reg[lo:lo + width]
                m.d.sync += old.eq((old & ~byte_mask[:width]) | (w_data[:width]
                                                                  & byte_mask[:width]))

        with m.If(aw_held & w_held & ~b_pending):
            m.d.sync += [aw_held.eq(0), w_held.eq(0), b_pending.eq(1), b_resp.eq(RESP_OKAY)]
            with m.Switch(aw_word):
                with m.Case(REGISTERS["CONTROL"] // 4):
                    with m.If(w_strb[0]):
                        m.d.sync += [self.start.eq(w_data[0]), self.irq_enable.eq(w_data[1])]
                with m.Case(REGISTERS["STATUS"] // 4):
                    with m.If(w_strb[0] & w_data[1]):
                        m.d.sync += done.eq(0)
                for name, reg in (("IMAGE_BASE", self.image_base),
                                  ("INPUT_BASE", self.input_base)):
                    for word in (0, 1):
                        with m.Case(REGISTERS[name] // 4 + word):
                            write_word(reg, word)
                read_only = [REGISTERS[n] // 4 for n in ("ID", "CAPACITY0", "CAPACITY1",
                             "ERROR", "PREDICTION", "CYCLES", "CYCLES_HI", "BYTES",
                             "BYTES_HI")]
                with m.Case(*read_only, *events):
                    pass
                with m.Default():
                    m.d.sync += b_resp.eq(RESP_SLVERR)
        with m.If(self.finished):  # after the W1C above: an inference's end is never lost
            m.d.sync += done.eq(1)

        # -- reads: AR held two cycles (the EVENTS read port), then R
        ar_held = Signal(name="ar_held")
        ar_wait = Signal(name="ar_wait")    # the second cycle of the hold
        ar_word = Signal(ADDR_BITS - 2, name="ar_word")
        r_pending = Signal(name="r_pending")
        r_data = Signal(32, name="r_data")
        r_resp = Signal(2, name="r_resp")
        m.d.comb += [bus.arready.eq(~ar_held & ~r_pending), bus.rvalid.eq(r_pending),
                     bus.rdata.eq(r_data), bus.rresp.eq(r_resp),
                     self.events_index.eq(ar_word - EVENTS_BASE // 4)]
        with m.If(bus.arvalid & bus.arready):
            m.d.sync += [ar_held.eq(1), ar_wait.eq(0), ar_word.eq(bus.araddr[2:ADDR_BITS])]
        with m.If(ar_held & ~ar_wait):
            m.d.sync += ar_wait.eq(1)
        with m.If(bus.rvalid & bus.rready):
            m.d.sync += r_pending.eq(0)

        cap0, cap1 = self.capacity
        with m.If(ar_held & ar_wait):
            m.d.sync += [ar_held.eq(0), r_pending.eq(1), r_resp.eq(RESP_OKAY), r_data.eq(0)]
            hi = self.addr_bits > 32
            values = {
                "ID": Const(ID_VALUE, 32), "CAPACITY0": Const(cap0, 32),
                "CAPACITY1": Const(cap1, 32),
                "CONTROL": self.irq_enable << 1,
                "STATUS": Cat(self.busy, done, self.error_code != 0),
                "ERROR": self.error_code, "PREDICTION": self.prediction,
                "IMAGE_BASE": self.image_base[:32],
                "IMAGE_BASE_HI": self.image_base[32:] if hi else Const(0, 32),
                "INPUT_BASE": self.input_base[:32],
                "INPUT_BASE_HI": self.input_base[32:] if hi else Const(0, 32),
                "CYCLES": self.cycles[:32], "CYCLES_HI": self.cycles[32:],
                "BYTES": self.bytes_read[:32], "BYTES_HI": self.bytes_read[32:],
            }
            with m.Switch(ar_word):
                for name, value in values.items():
                    with m.Case(REGISTERS[name] // 4):
                        m.d.sync += r_data.eq(value)
                with m.Case(*events):
                    m.d.sync += r_data.eq(self.events_count)
                with m.Default():
                    m.d.sync += r_resp.eq(RESP_SLVERR)
        return m
