"""The processor's core: the accelerator's datapath run from a network image, behind an abstract
memory port (the inner side of the AXI read master, ``rtl.axi.AxiBurstReader``)."""

from amaranth.hdl import Module, Signal
from amaranth.utils import exact_log2
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from .axi import beat_layout
from .datapath import connect_datapath
from .input_encoder import InputEncoder
from .layouts import Phase, address, event_layout, op_layout, tag_layout
from .max_pool import EarliestSpikePool
from .neuron_core import NeuronCore
from .param_memory import ParamMemory
from .processor_layouts import ProcessorError, request_layout, result_ports
from .processor_sequencer import ProcessorSequencer, Route
from .sequencer import LayerSequencer
from .spike_buffer import SpikeBuffer
from .spike_emitter import SpikeEmitter
from .spike_router import SpikeRouter
from .unpack import BeatUnpacker

__all__ = ["ProcessorCore"]


class ProcessorCore(wiring.Component):
    """The processor of ``config`` (a ``ProcessorConfig``) without its bus interfaces.

    Memory port (the inner side of ``AxiBurstReader``):
        requests (out stream, {addr, length}): a read of ``length`` bytes from ``addr``
            (aligned to the beat, length > 0).
        data (in stream, ``rtl.axi.beat_layout``: {data, bytes, last}): the reads' data, in
            request order, one beat of ``data_bits`` per transfer, ``last`` on a request's
            final beat, ``bytes`` the request's bytes in it.
        read_error (in): the memory answered a read with an error (sticky until the next
            request is taken).
    Control and status (what the register block shows):
        start (in, a pulse), image_base, input_base (in, held while busy),
        busy, done (one cycle), error (``ProcessorError``), prediction (the class of the last
            inference, updated at its end), cycles (of the last inference, start to done;
            while busy: of the running one so far), bytes (read in the last inference; while
            busy: so far), events_addr (in) / events_data (out, the next
            cycle): the events written by layer ``events_addr`` in the last inference (0: the
            input encoder; the classifier: 0), layers (of the image).
    Streams:
        scores (out, {cls, score}): every class score, in class order; back-pressure stalls
            the processor (tie ``ready`` high if unused).
        trace (out, {layer, c, y, x, k}; when ``config.trace``): every event written to a
            spike buffer (layer 0: the encoder's); back-pressure stalls the processor.
    ``phase`` (out): the datapath's phase (``Phase``; IDLE also while a pass is loaded).
    """

    def __init__(self, config):
        self._config = config
        self._event = event_layout(config)
        ports = {
            "requests": Out(stream.Signature(request_layout(config))),
            "data": In(stream.Signature(beat_layout(config.data_bits))),
            "read_error": In(1),
            "start": In(1),
            "image_base": In(config.addr_bits), "input_base": In(config.addr_bits),
            "busy": Out(1), "done": Out(1), "error": Out(ProcessorError),
            "prediction": Out(config.class_bits),
            "cycles": Out(64), "bytes": Out(64),
            "events_addr": In(address(config.max_layers + 1)), "events_data": Out(32),
            "layers": Out(range(config.max_layers + 1)),
            "phase": Out(Phase),
            **result_ports(config),
        }
        super().__init__(ports)

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        P = cfg.cores
        T = cfg.T

        m.submodules.control = ctl = ProcessorSequencer(cfg)
        m.submodules.sequencer = seq = LayerSequencer(cfg)
        m.submodules.encoder = enc = InputEncoder(self._event, shape=cfg.input_shape, steps=T,
                                                  rule=cfg.fire_rule, runtime=True)
        bufs = [SpikeBuffer(self._event, depth=cfg.spike_depth) for _ in range(2)]
        m.submodules.spike_buffer0, m.submodules.spike_buffer1 = bufs
        ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                        time_bits=cfg.k_bits)
        m.submodules.router = router = SpikeRouter(None, self._event, ops,
                                                   cfg.pass_descriptor_layout())
        entries = cfg.param_depth * P
        m.submodules.params = params = ParamMemory(
            bias_bits=cfg.bias_bits, threshold_bits=cfg.threshold_bits, steps=T,
            rule=cfg.fire_rule, bias_init=[0] * entries, threshold_init=[1] * entries)
        cores = []
        for p in range(P):
            core = NeuronCore(membrane_bits=cfg.membrane_bits, frac_bits=cfg.F, steps=T,
                              rule=cfg.fire_rule,
                              weight_init=[contract.ZERO_CODE] * cfg.weight_depth,
                              membrane_depth=cfg.membrane_depth,
                              threshold_bits=cfg.threshold_bits, bias_bits=cfg.bias_bits,
                              adder=cfg.adder)
            m.submodules[f"core{p}"] = core
            cores.append(core)
        m.submodules.pool = pool = EarliestSpikePool(lanes=P, time_bits=contract.time_bits(T + 1))
        lane = data.StructLayout({"k": cfg.k_bits})
        m.submodules.emitter = emit = SpikeEmitter(lanes=P, lane_layout=lane,
                                                   tag_layout=tag_layout(cfg))

        # -- memory: requests out, beats to the unpacker of the request's kind ----------------
        unit_bits = {Route.RECORD: len(ctl.records.payload.data), Route.PIXEL: 8,
                     Route.PARAM: len(ctl.params.payload.data),
                     Route.ROW: len(ctl.rows.payload.data)}
        unpackers = {}
        for route, bits in unit_bits.items():
            u = BeatUnpacker(data_bits=cfg.data_bits, unit_bits=bits)
            m.submodules[f"unpack_{route.name.lower()}"] = unpackers[route] = u
            here = ctl.route == route
            m.d.comb += [u.beats.valid.eq(self.data.valid & here), u.beats.p.eq(self.data.p)]
            with m.If(here):
                m.d.comb += self.data.ready.eq(u.beats.ready)
        wiring.connect(m, wiring.flipped(self.requests), ctl.requests)
        for route, port in ((Route.RECORD, ctl.records), (Route.PARAM, ctl.params),
                            (Route.ROW, ctl.rows)):
            wiring.connect(m, unpackers[route].units, port)
        m.d.comb += [ctl.axi_error.eq(self.read_error), ctl.start.eq(self.start),
                     ctl.image_base.eq(self.image_base), ctl.input_base.eq(self.input_base),
                     self.busy.eq(ctl.busy), self.done.eq(ctl.done), self.error.eq(ctl.error),
                     self.layers.eq(ctl.layers), self.phase.eq(seq.phase)]

        # -- pass control between the two sequencers ---------------------------------------
        m.d.comb += [
            ctl.pass_wait.eq(seq.pass_wait), seq.pass_go.eq(ctl.pass_go),
            seq.pass_desc.eq(ctl.pass_desc), seq.first_pass.eq(ctl.first_pass),
            seq.last_pass.eq(ctl.last_pass), seq.abort.eq(ctl.abort),
            ctl.predict_valid.eq(seq.predict_valid), seq.predict_ready.eq(ctl.predict_ready),
        ]

        # -- loading: parameters and weight rows ----------------------------------------------
        pw = ctl.param_write
        m.d.comb += [params.write.valid.eq(pw.valid), params.write.p.entry.eq(pw.p.entry),
                     params.write.p.half.eq(pw.p.half), params.write.p.data.eq(pw.p.data)]
        for p, core in enumerate(cores):
            code = ctl.weight_write.p.row[contract.CODE_BITS * p:][:contract.CODE_BITS]
            m.d.comb += [core.weight_load.valid.eq(ctl.weight_write.valid),
                         core.weight_load.p.addr.eq(ctl.weight_write.p.addr),
                         core.weight_load.p.data.eq(code)]

        # -- input phase -----------------------------------------------------------------------
        pixels = unpackers[Route.PIXEL].units
        m.d.comb += [
            seq.pixel_valid.eq(pixels.valid),
            enc.start.eq(seq.encoder_start),
            enc.in_c.eq(ctl.in_c), enc.in_h.eq(ctl.in_h), enc.in_w.eq(ctl.in_w),
            seq.encoder_done.eq(enc.done & ~enc.events.valid),
            enc.pixels.valid.eq(pixels.valid),
            enc.pixels.payload.eq(pixels.payload.data),
            pixels.ready.eq(enc.pixels.ready),
        ]

        best_cls, written = connect_datapath(
            m, config=cfg, seq=seq, enc=enc, bufs=bufs, router=router, cores=cores,
            params=params, pool=pool, emit=emit, event_layout=self._event, scores=self.scores,
            trace=self.trace if cfg.trace else None, group_offset=ctl.group_offset)
        with m.If(ctl.predict_ready & seq.predict_valid):
            m.d.sync += self.prediction.eq(best_cls)

        # -- counters: cycles, bytes, events per layer -------------------------------------------
        # The counters are the registers the host reads: they count while busy (the done cycle
        # included) and hold from done to the next start, so no second copy latches them.
        beats = Signal(64 - exact_log2(cfg.data_bits // 8), name="count_beats")
        m.d.comb += self.bytes.eq(beats << exact_log2(cfg.data_bits // 8))
        with m.If(ctl.start & ~ctl.busy):
            m.d.sync += [self.cycles.eq(0), beats.eq(0)]
        with m.Elif(ctl.busy):
            m.d.sync += self.cycles.eq(self.cycles + 1)
            with m.If(self.data.valid & self.data.ready):
                m.d.sync += beats.eq(beats + 1)
        # a layer writes at most one event per spike buffer entry (the sequencer checks every
        # event map against spike_events), so its count is that wide, not the register's 32
        count_shape = range(cfg.spike_depth + 1)
        m.submodules.event_counts = counts = memory.Memory(shape=count_shape,
                                                          depth=cfg.max_layers + 1, init=[])
        count_wr = counts.write_port()
        count_rd = counts.read_port()
        layer_events = Signal(count_shape, name="layer_events")
        layer_index = Signal(range(cfg.max_layers + 1), name="layer_events_index")
        # a layer's count is written when its last pass ends (the datapath waits for the next
        # pass or offers the prediction) or, for the input, when the encoder is done
        was_busy = Signal(name="datapath_was_busy")
        pass_end = (seq.pass_wait | seq.predict_valid) & was_busy
        m.d.sync += was_busy.eq(~seq.pass_wait & ~seq.predict_valid & (seq.phase != Phase.IDLE))
        ends_layer = pass_end & ((layer_index == 0) | ctl.last_pass)
        m.d.comb += [count_wr.addr.eq(layer_index), count_wr.data.eq(layer_events),
                     count_wr.en.eq(ends_layer),
                     count_rd.addr.eq(self.events_addr), self.events_data.eq(count_rd.data)]
        with m.If(ctl.start & ~ctl.busy):
            m.d.sync += [layer_events.eq(0), layer_index.eq(0)]
        with m.Elif(ends_layer):
            m.d.sync += [layer_events.eq(0), layer_index.eq(layer_index + 1)]
        with m.Elif(written):
            m.d.sync += layer_events.eq(layer_events + 1)
        return m
