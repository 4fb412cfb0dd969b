"""The processor: networks read from external memory at run time (docs/PROCESSOR.md)."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .axi import AxiBurstReader, AxiReadSignature
from .axi_lite import AxiLiteSignature, ProcessorRegisters
from .processor_core import ProcessorCore
from .processor_layouts import result_ports

__all__ = ["Processor", "MAX_BURST_BEATS"]

#: beats per AXI burst at most (a request is cut into bursts of at most this many beats)
MAX_BURST_BEATS = 16


class Processor(wiring.Component):
    """The processor of ``config`` (a ``ProcessorConfig``): a ``ProcessorCore`` behind an AXI4
    read master (``AxiBurstReader``) and an AXI4-Lite register block (``ProcessorRegisters``).

    Ports (names of the emitted Verilog):
        m_axi_* (out, ``AxiReadSignature``): reads the network image and the input pixels
            (INCR bursts of at most ``MAX_BURST_BEATS`` beats, up to ``max_bursts`` of the
            capacity in flight, never across 4 KB).
        s_axil_* (in, ``AxiLiteSignature``): the registers of docs/PROCESSOR.md section 5.
        irq (out): STATUS.done & CONTROL.irq_enable.
        scores (out stream, {cls, score}): every class score of an inference, in class
            order; back-pressure stalls the processor (tie ``ready`` high if unused).
        trace (out stream, {layer, c, y, x, k}; when ``config.trace``): every event written to
            a spike buffer; back-pressure stalls the processor.
    A start (CONTROL bit 0) clears the read master's sticky error flag; an inference reads
    only after it.
    """

    def __init__(self, config):
        self._config = config
        ports = {
            "m_axi": Out(AxiReadSignature(addr_bits=config.addr_bits,
                                          data_bits=config.data_bits)),
            "s_axil": In(AxiLiteSignature()),
            "irq": Out(1),
            **result_ports(config),
        }
        super().__init__(ports)

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        cap = cfg.capacity
        m.submodules.core = core = ProcessorCore(cfg)
        m.submodules.reader = reader = AxiBurstReader(
            addr_bits=cfg.addr_bits, data_bits=cfg.data_bits, max_burst_beats=MAX_BURST_BEATS,
            max_bursts=cap.max_bursts, length_bits=len(core.requests.p.length))
        m.submodules.registers = regs = ProcessorRegisters(
            cores=cfg.cores, T=cfg.T, F=cfg.F, max_layers=cfg.max_layers,
            membrane_words=cfg.membrane_depth, weight_words=cfg.weight_depth,
            spike_events=cfg.spike_depth, data_bits=cfg.data_bits, addr_bits=cfg.addr_bits)

        wiring.connect(m, wiring.flipped(self.m_axi), reader.m_axi)
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        wiring.connect(m, core.requests, reader.requests)
        wiring.connect(m, reader.data, core.data)
        wiring.connect(m, core.scores, wiring.flipped(self.scores))
        if cfg.trace:
            wiring.connect(m, core.trace, wiring.flipped(self.trace))
        start = regs.start & ~core.busy
        m.d.comb += [
            core.read_error.eq(reader.error), reader.clear.eq(start),
            core.start.eq(regs.start), core.image_base.eq(regs.image_base),
            core.input_base.eq(regs.input_base),
            regs.busy.eq(core.busy), regs.finished.eq(core.done),
            regs.error_code.eq(core.error), regs.prediction.eq(core.prediction),
            regs.cycles.eq(core.cycles), regs.bytes_read.eq(core.bytes),
            core.events_addr.eq(regs.events_index), regs.events_count.eq(core.events_data),
            self.irq.eq(regs.irq),
        ]
        return m
