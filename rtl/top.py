"""Top level: the accelerator for one network and hardware configuration."""

from amaranth.hdl import Module, Mux
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from golden import contract

from .datapath import connect_datapath
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
        rate = cfg.coding == "rate"
        m.submodules.encoder = enc = InputEncoder(self._event, shape=cfg.network.input_shape,
                                                  steps=T, rule=cfg.fire_rule, coding=cfg.coding)
        bufs = [SpikeBuffer(self._event, depth=cfg.spike_depth,
                            repeat_field="k" if rate else None) for _ in range(2)]
        m.submodules.spike_buffer0, m.submodules.spike_buffer1 = bufs
        ops = op_layout(weight_depth=cfg.weight_depth, membrane_depth=cfg.membrane_depth,
                        time_bits=cfg.k_bits)
        m.submodules.router = router = SpikeRouter(cfg, self._event, ops, descriptor_layout(cfg))
        weights = cfg.weight_images()
        biases, thresholds = cfg.param_images()
        m.submodules.params = params = ParamMemory(bias_bits=cfg.bias_bits,
                                                   threshold_bits=cfg.threshold_bits, steps=T,
                                                   rule=cfg.fire_rule, bias_init=biases,
                                                   threshold_init=thresholds, coding=cfg.coding)
        cores = []
        for p in range(P):
            core = NeuronCore(membrane_bits=cfg.membrane_bits, frac_bits=cfg.F, steps=T,
                              rule=cfg.fire_rule, weight_init=weights[p],
                              membrane_depth=cfg.membrane_depth,
                              threshold_bits=cfg.threshold_bits, bias_bits=cfg.bias_bits,
                              adder=cfg.adder, coding=cfg.coding)
            m.submodules[f"core{p}"] = core
            cores.append(core)
        m.submodules.pool = pool = EarliestSpikePool(lanes=P, time_bits=contract.time_bits(T + 1))
        # a lane carries its spike time (rate: its count 1..T) only: the classifier's scores are
        # read from the cores (their ``value`` holds while the emitter sends a classifier group)
        lane = data.StructLayout({"k": contract.time_bits(T + 1) if rate else cfg.k_bits})
        m.submodules.emitter = emit = SpikeEmitter(lanes=P, lane_layout=lane,
                                                   tag_layout=tag_layout(cfg),
                                                   count_field="k" if rate else None)

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

        best_cls, _ = connect_datapath(
            m, config=cfg, seq=seq, enc=enc, bufs=bufs, router=router, cores=cores,
            params=params, pool=pool, emit=emit, event_layout=self._event, scores=self.scores,
            trace=self.trace if cfg.trace else None)
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
