"""Top level: the accelerator for one network and hardware configuration."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from .input_encoder import InputEncoder
from .layouts import (
    LoadTarget,
    Phase,
    descriptor_layout,
    event_layout,
    load_layout,
    op_layout,
    score_layout,
    tag_layout,
    trace_layout,
)
from .max_pool import EarliestSpikePool
from .neuron_core import NeuronCore
from .param_memory import ParamMemory
from .sequencer import LayerSequencer
from .spike_buffer import SpikeBuffer
from .spike_emitter import SpikeEmitter
from .spike_router import SpikeRouter

__all__ = ["Accelerator"]


class Accelerator(wiring.Component):
    """The TTFS SNN accelerator of ``config`` (a ``rtl.config.HardwareConfig``).

    Host ports (all ``lib.stream``, valid/ready):
        pixels     (in, 8 bits): an image, C*H*W uint8 pixels in C, H, W order. The first
                   pixel starts an inference.
        scores     (out, {cls, score}): every class score U_c (signed membrane width), in class
                   order, after the classifier has integrated.
        prediction (out, class bits): argmax of the scores (lowest class on ties), after the
                   scores.
        trace      (out, {layer, c, y, x, k}; only when ``config.trace``): every event written
                   to a spike buffer: layer 0 = input encoder, layer i = output of layer i
                   (after pooling). Back-pressure here stalls the accelerator.
        load       (in, {core, target, addr, data}): writes weight (target 0), bias (1) or
                   threshold (2) memory ``addr`` of core ``core``; taken only while idle.
                   ``data`` is cut to its field (5-bit code, ``config.bias_bits`` signed,
                   ``config.threshold_bits`` unsigned): the host checks the range
                   (``gen.host_protocol.HostProtocol.encode_load``).
        load_error (out): 1 while the ``load`` payload addresses no memory: ``core`` >= P,
                   an unknown ``target``, or ``addr`` >= the depth of the target's memory
                   (``config.weight_depth`` for weights, ``config.param_depth`` for biases
                   and thresholds). Such a load is taken like any other but writes nothing;
                   sample the flag with the transfer (``load.valid & load.ready``).
    Status: ``phase`` (``sequencer.Phase``) and ``layer`` (index of the current layer).
    """

    def __init__(self, config):
        self._config = config
        self._event = event_layout(config)
        self._score = score_layout(config)
        self._trace = trace_layout(config)
        self._load = load_layout(config)
        ports = {
            "pixels": In(stream.Signature(8)),
            "scores": Out(stream.Signature(self._score)),
            "prediction": Out(stream.Signature(config.class_bits)),
            "load": In(stream.Signature(self._load)),
            "load_error": Out(1),
            "phase": Out(Phase),
            "layer": Out(range(len(config.layers))),
        }
        if config.trace:
            ports["trace"] = Out(stream.Signature(self._trace))
        super().__init__(ports)

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        P = cfg.cores
        T = cfg.T

        m.submodules.sequencer = seq = LayerSequencer(cfg)
        m.submodules.encoder = enc = InputEncoder(self._event, shape=cfg.network.input_shape,
                                                  steps=T, rule=cfg.fire_rule)
        bufs = [SpikeBuffer(self._event, depth=cfg.spike_depth) for _ in range(2)]
        m.submodules.spike_buffer0, m.submodules.spike_buffer1 = bufs
        ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                        time_bits=cfg.k_bits)
        m.submodules.router = router = SpikeRouter(cfg, self._event, ops, descriptor_layout(cfg))
        weights = cfg.weight_images()
        biases, thresholds = cfg.param_images()
        m.submodules.params = params = ParamMemory(bias_bits=cfg.bias_bits,
                                                   threshold_bits=cfg.threshold_bits, steps=T,
                                                   rule=cfg.fire_rule, bias_init=biases,
                                                   threshold_init=thresholds)
        cores = []
        for p in range(P):
            core = NeuronCore(membrane_bits=cfg.membrane_bits, frac_bits=cfg.F, steps=T,
                              rule=cfg.fire_rule, weight_init=weights[p],
                              membrane_depth=cfg.membrane_depth,
                              threshold_bits=cfg.threshold_bits, bias_bits=cfg.bias_bits,
                              adder=cfg.adder)
            m.submodules[f"core{p}"] = core
            cores.append(core)
        m.submodules.pool = pool = EarliestSpikePool(lanes=P, time_bits=contract.time_bits(T + 1))
        # a lane carries its spike time only: the classifier's scores are read from the cores
        # (their ``value`` holds while the emitter sends a classifier group)
        lane = data.StructLayout({"k": cfg.k_bits})
        m.submodules.emitter = emit = SpikeEmitter(lanes=P, lane_layout=lane,
                                                   tag_layout=tag_layout(cfg))

        # -- status ----------------------------------------------------------------------------
        m.d.comb += [self.phase.eq(seq.phase), self.layer.eq(seq.layer)]

        # -- input phase -----------------------------------------------------------------------
        m.d.comb += [
            seq.pixel_valid.eq(self.pixels.valid),
            enc.start.eq(seq.encoder_start),
            seq.encoder_done.eq(enc.done & ~enc.events.valid),
            enc.pixels.valid.eq(self.pixels.valid),
            enc.pixels.payload.eq(self.pixels.payload),
            self.pixels.ready.eq(enc.pixels.ready),
        ]

        # -- events into the spike buffers (and the trace) ----------------------------------
        # The emitter's output is an event unless the classifier is scoring.
        em = emit.out.p
        event = Signal(self._event, name="out_event")
        event_valid = Signal(name="out_event_valid")
        event_layer = Signal(cfg.layer_bits, name="out_event_layer")
        from_encoder = seq.phase == Phase.INPUT
        with m.If(from_encoder):
            m.d.comb += [event.eq(enc.events.p), event_valid.eq(enc.events.valid),
                         event_layer.eq(0)]
        with m.Else():
            m.d.comb += [event.c.eq(em.tag.g * P + em.lane), event.y.eq(em.tag.y),
                         event.x.eq(em.tag.x), event.k.eq(em.payload.k),
                         event_valid.eq(emit.out.valid & ~seq.classifier),
                         event_layer.eq(seq.layer + 1)]
        if cfg.trace:
            m.d.comb += [
                self.trace.valid.eq(event_valid),
                self.trace.p.layer.eq(event_layer), self.trace.p.c.eq(event.c),
                self.trace.p.y.eq(event.y), self.trace.p.x.eq(event.x),
                self.trace.p.k.eq(event.k),
            ]
            event_ready = self.trace.ready
        else:
            event_ready = 1
        m.d.comb += enc.events.ready.eq(from_encoder & event_ready)
        for i, buf in enumerate(bufs):
            write_sel = 0 if i == 0 else 1
            m.d.comb += [
                buf.clear.eq(seq.clear[i]), buf.start.eq(seq.start[i]),
                buf.write.p.eq(event),
                # the input phase writes buffer 0; layer l's fire phase writes the buffer it
                # does not read
                buf.write.valid.eq(event_valid & event_ready &
                                   (from_encoder & (write_sel == 0) |
                                    ~from_encoder & (seq.read_sel != write_sel))),
            ]

        # -- integrate: read buffer -> router -> cores ---------------------------------------
        rd = [b.read for b in bufs]
        with m.If(seq.read_sel):
            m.d.comb += [router.events.valid.eq(rd[1].valid), router.events.p.eq(rd[1].p),
                         rd[1].ready.eq(router.events.ready), seq.read_done.eq(bufs[1].done)]
        with m.Else():
            m.d.comb += [router.events.valid.eq(rd[0].valid), router.events.p.eq(rd[0].p),
                         rd[0].ready.eq(router.events.ready), seq.read_done.eq(bufs[0].done)]
        m.d.comb += [router.desc.eq(seq.desc), router.layer.eq(seq.layer), router.ops.ready.eq(1),
                     seq.router_idle.eq(router.idle)]
        cores_idle = 1
        for core in cores:
            m.d.comb += [core.op.valid.eq(router.ops.valid), core.op.p.eq(router.ops.p)]
            cores_idle = cores_idle & core.idle
        m.d.comb += seq.cores_idle.eq(cores_idle)

        # -- fire: scan -> cores -> pool -> emitter ---------------------------------------------
        m.d.comb += [params.read_addr.eq(seq.param_addr), params.read_en.eq(seq.param_en)]
        wiring.connect(m, seq.fire, *(core.fire for core in cores))
        for p, core in enumerate(cores):
            m.d.comb += [
                core.param.valid.eq(seq.param_load[p]), core.param.p.eq(params.read_data),
                pool.k[p].eq(core.k),
            ]
        m.d.comb += [
            pool.advance.eq(seq.fire.advance), pool.valid.eq(seq.stage_valid),
            pool.first.eq(seq.stage_first), pool.last.eq(seq.stage_last),
            seq.emit_stall.eq(emit.stall), seq.emit_idle.eq(emit.idle),
            emit.group_valid.eq(pool.out_valid & seq.fire.phase),
            emit.group_tag.eq(seq.stage_tag),
        ]
        for p in range(P):
            active = p < seq.stage_tag.lanes
            m.d.comb += [
                emit.group_lanes[p].k.eq(pool.out_k[p]),
                emit.group_mask[p].eq(active & (seq.classifier | (pool.out_k[p] != T))),
            ]

        # -- scores and prediction ------------------------------------------------------------
        # argmax over the sent scores, one cycle behind them (the compare is registered); the
        # sequencer reaches PREDICT at least two cycles after the last score
        best = Signal(signed(cfg.membrane_bits), name="argmax_score")
        best_cls = Signal(cfg.class_bits, name="argmax_cls")
        cand_valid = Signal(name="argmax_cand_valid")
        cand = Signal(self._score, name="argmax_cand")
        cls = em.tag.g * P + em.lane
        with m.Switch(em.lane):
            for p, core in enumerate(cores):
                with m.Case(p):
                    m.d.comb += self.scores.p.score.eq(core.value)
        m.d.comb += [
            self.scores.valid.eq(emit.out.valid & seq.classifier),
            self.scores.p.cls.eq(cls),
            emit.out.ready.eq(Mux(seq.classifier, self.scores.ready, event_ready)),
        ]
        m.d.sync += [cand_valid.eq(self.scores.valid & self.scores.ready),
                     cand.eq(self.scores.payload)]
        with m.If(cand_valid & ((cand.cls == 0) | (cand.score > best))):
            m.d.sync += [best.eq(cand.score), best_cls.eq(cand.cls)]
        m.d.comb += [self.prediction.valid.eq(seq.predict_valid),
                     self.prediction.payload.eq(best_cls),
                     seq.predict_ready.eq(self.prediction.ready)]

        # -- host load -------------------------------------------------------------------------
        idle = seq.phase == Phase.IDLE
        lp = self.load.p
        weight = lp.target == LoadTarget.WEIGHT
        param = (lp.target == LoadTarget.BIAS) | (lp.target == LoadTarget.THRESHOLD)
        depth = Mux(weight, cfg.weight_depth, cfg.param_depth)
        m.d.comb += self.load_error.eq((lp.core >= P) | ~(weight | param) | (lp.addr >= depth))
        load = self.load.valid & idle & ~self.load_error
        m.d.comb += self.load.ready.eq(idle)
        for p, core in enumerate(cores):
            m.d.comb += [
                core.weight_load.valid.eq(load & weight & (lp.core == p)),
                core.weight_load.p.addr.eq(self.load.p.addr),
                core.weight_load.p.data.eq(self.load.p.data),
            ]
        m.d.comb += [
            params.write.valid.eq(load & param),
            params.write.p.entry.eq(self.load.p.addr * P + self.load.p.core),
            params.write.p.half.eq(lp.target == LoadTarget.THRESHOLD),
            params.write.p.data.eq(self.load.p.data),
        ]
        return m
