"""The accelerator's datapath wiring, shared by the fixed-network ``Accelerator``
(``rtl.top``) and the processor's core (``rtl.processor_core``): from the events written to the
spike buffers, through the router and the cores' integrate and fire pipelines, to the scores and
their argmax. The components are built by the caller (their parameters differ); this connects
them."""

from amaranth.hdl import Mux, Signal, signed
from amaranth.lib import wiring

from .layouts import POOL_SHIFT, Phase

__all__ = ["connect_datapath"]


def connect_datapath(m, *, config, seq, enc, bufs, router, cores, params, pool, emit,
                     event_layout, scores, trace=None, group_offset=None):
    """Connect the datapath of ``config`` in module ``m``: ``seq`` (``LayerSequencer``),
    ``enc`` (``InputEncoder``), the two ``bufs`` (``SpikeBuffer``), ``router``, the P
    ``cores``, ``params`` (``ParamMemory``), ``pool``, ``emit`` (``SpikeEmitter``); ``scores``
    and ``trace`` are the caller's output streams (``trace`` None: no trace). An emitted lane's
    channel is ``(group_offset + g) * P + lane`` (``group_offset`` None: 0, the fixed network's
    layers have one pass). Returns (the argmax class register, the event-written signal).
    The caller connects the encoder's pixels and start and the prediction handshake."""
    cfg = config
    P = cfg.cores
    T = cfg.T
    # Rate coding: a neuron's N events (t = 0..N-1) go to the trace one by one, and its last
    # one (t = N - 1) is written to the spike buffer, which reads it out N times (repeat
    # mode). A pooled layer's events are written at their pooled position, and the layer that
    # reads them shifts their weights by POOL_SHIFT more: the contract's average pool.
    rate = cfg.coding == "rate"

    # -- events into the spike buffers (and the trace) ----------------------------------
    # The emitter's output is an event unless the classifier is scoring.
    em = emit.out.p
    group = em.tag.g if group_offset is None else group_offset + em.tag.g
    channel = group * P + em.lane  # the output channel (the class) of the emitted lane
    event = Signal(event_layout, name="out_event")
    event_valid = Signal(name="out_event_valid")
    event_layer = Signal(cfg.layer_bits, name="out_event_layer")
    event_last = Signal(name="out_event_last")  # a neuron's last event (always, in TTFS)
    from_encoder = seq.phase == Phase.INPUT
    with m.If(from_encoder):
        m.d.comb += [event.eq(enc.events.p), event_valid.eq(enc.events.valid),
                     event_layer.eq(0), event_last.eq(enc.last)]
    with m.Else():
        m.d.comb += [event.c.eq(channel), event.y.eq(em.tag.y),
                     event.x.eq(em.tag.x), event.k.eq(em.payload.k),
                     event_valid.eq(emit.out.valid & ~seq.classifier),
                     event_layer.eq(seq.layer + 1), event_last.eq(em.last)]
    stored = Signal(event_layout, name="buffer_event")  # what the spike buffer holds
    pooled_write = Signal(name="buffer_pooled_write")
    m.d.comb += stored.eq(event)
    if rate:
        m.d.comb += pooled_write.eq(~from_encoder & seq.desc.pool)
        with m.If(pooled_write):
            m.d.comb += [stored.y.eq(event.y >> 1), stored.x.eq(event.x >> 1)]
    if trace is not None:
        m.d.comb += [
            trace.valid.eq(event_valid),
            trace.p.layer.eq(event_layer), trace.p.c.eq(event.c),
            trace.p.y.eq(event.y), trace.p.x.eq(event.x),
            trace.p.k.eq(event.k),
        ]
        event_ready = trace.ready
    else:
        event_ready = 1
    m.d.comb += enc.events.ready.eq(from_encoder & event_ready)
    # whether each buffer holds an average-pooled map (rate coding)
    holds_pooled = [Signal(name=f"buffer{i}_pooled") for i in range(2)]
    for i, buf in enumerate(bufs):
        write_sel = 0 if i == 0 else 1
        m.d.comb += [
            buf.clear.eq(seq.clear[i]), buf.start.eq(seq.start[i]),
            buf.write.p.eq(stored),
            # the input phase writes buffer 0; layer l's fire phase writes the buffer it
            # does not read
            buf.write.valid.eq(event_valid & event_ready & event_last &
                               (from_encoder & (write_sel == 0) |
                                ~from_encoder & (seq.read_sel != write_sel))),
        ]
        if rate:
            with m.If(buf.write.valid):
                m.d.sync += holds_pooled[i].eq(pooled_write)

    # -- integrate: read buffer -> router -> cores ---------------------------------------
    rd = [b.read for b in bufs]
    with m.If(seq.read_sel):
        m.d.comb += [router.events.valid.eq(rd[1].valid), router.events.p.eq(rd[1].p),
                     rd[1].ready.eq(router.events.ready), seq.read_done.eq(bufs[1].done)]
    with m.Else():
        m.d.comb += [router.events.valid.eq(rd[0].valid), router.events.p.eq(rd[0].p),
                     rd[0].ready.eq(router.events.ready), seq.read_done.eq(bufs[0].done)]
    if rate:  # every rate event has k = 0; into a pooled map's reader, the pool shift
        m.d.comb += router.events.p.k.eq(Mux(Mux(seq.read_sel, holds_pooled[1],
                                                 holds_pooled[0]), POOL_SHIFT, 0))
    layer = [] if router.runtime else [router.layer.eq(seq.layer)]
    m.d.comb += [router.desc.eq(seq.desc), *layer, router.ops.ready.eq(1),
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
        if rate:  # the lane's count; a class score is sent once
            m.d.comb += [
                emit.group_lanes[p].k.eq(Mux(seq.classifier, 1, pool.out_k[p])),
                emit.group_mask[p].eq(active & (seq.classifier | (pool.out_k[p] != 0))),
            ]
        else:
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
    cand = Signal(scores.payload.shape(), name="argmax_cand")
    cls = channel
    with m.Switch(em.lane):
        for p, core in enumerate(cores):
            with m.Case(p):
                m.d.comb += scores.p.score.eq(core.value)
    m.d.comb += [
        scores.valid.eq(emit.out.valid & seq.classifier),
        scores.p.cls.eq(cls),
        emit.out.ready.eq(Mux(seq.classifier, scores.ready, event_ready)),
    ]
    m.d.sync += [cand_valid.eq(scores.valid & scores.ready),
                 cand.eq(scores.payload)]
    with m.If(cand_valid & ((cand.cls == 0) | (cand.score > best))):
        m.d.sync += [best.eq(cand.score), best_cls.eq(cand.cls)]
    return best_cls, event_valid & event_ready
