"""Layer sequencer: the descriptor table, the phase FSM and the fire-phase scan."""

import enum

from amaranth.hdl import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .spike_router import descriptor_layout, descriptor_value

__all__ = ["LayerSequencer", "Phase", "tag_layout"]


class Phase(enum.IntEnum):
    """Value of the ``phase`` status output."""
    IDLE = 0
    INPUT = 1
    INTEGRATE = 2
    FIRE = 3
    PREDICT = 4


def tag_layout(config):
    """Where a fire-phase group lands: channel group g and output (pooled) row and column."""
    return data.StructLayout({"g": max(1, (max(d.groups for d in config.layers) - 1)
                                       .bit_length()),
                              "y": config.y_bits, "x": config.x_bits})


class LayerSequencer(wiring.Component):
    """Runs one inference: input phase, then integrate and fire for each layer of the descriptor
    table (one constant entry per layer, see ``config.LayerDescriptor``), then the prediction.

    Status ports (``phase``, ``layer``) let a testbench time every phase. Control ports:

        pixel_valid (in): a pixel waits; starts an inference when idle.
        encoder_start (out), encoder_done (in): input phase.
        clear (out, 2), start (out, 2): per spike buffer; ``read_sel`` (out) is the buffer the
            current layer reads (the other is written).
        read_done (in), router_idle (in), cores_idle (in): end of integration.
        desc (out): the current layer's descriptor.
        fire_* (out): the scan. ``fire_advance`` = not ``emit_stall``; a step issued with
            ``fire_valid`` reads membrane ``fire_maddr`` and parameters ``fire_paddr``; one
            advance later ``stage1_*`` describe that step (``stage1_first``/``stage1_last``:
            it opens/closes a pool window; ``stage1_tag``: output group position).
        emit_idle (in): the emitter has sent everything.
        classifier (out): the current layer is the classifier (the emitter feeds the scores).
        predict_valid (out) / predict_ready (in): the prediction handshake.
    """

    def __init__(self, config):
        self._config = config
        desc = descriptor_layout(config)
        L = len(config.layers)
        self._tag = tag_layout(config)
        mdepth, pdepth = config.membrane_depth, config.param_depth
        super().__init__({
            "phase": Out(3), "layer": Out(range(L)),
            "pixel_valid": In(1), "encoder_start": Out(1), "encoder_done": In(1),
            "clear": Out(2), "start": Out(2), "read_sel": Out(1),
            "read_done": In(1), "router_idle": In(1), "cores_idle": In(1),
            "desc": Out(desc),
            "fire_phase": Out(1), "fire_advance": Out(1), "fire_valid": Out(1),
            "fire_maddr": Out(range(max(2, mdepth))), "fire_paddr": Out(range(max(2, pdepth))),
            "stage1_valid": Out(1), "stage1_first": Out(1), "stage1_last": Out(1),
            "stage1_tag": Out(self._tag),
            "emit_stall": In(1), "emit_idle": In(1),
            "classifier": Out(1),
            "predict_valid": Out(1), "predict_ready": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        L = len(cfg.layers)
        d = self.desc

        with m.Switch(self.layer):
            for i, ld in enumerate(cfg.layers):
                with m.Case(i):
                    m.d.comb += d.eq(d.shape().const(descriptor_value(cfg, ld)))
        m.d.comb += self.classifier.eq(self.layer == L - 1)

        # -- fire scan: g, then pooled row/column, then the 2x2 window --------------------------
        g = Signal(self.stage1_tag.g.shape(), name="scan_g")
        py = Signal(cfg.y_bits, name="scan_py")
        px = Signal(cfg.x_bits, name="scan_px")
        dy = Signal(name="scan_dy")
        dx = Signal(name="scan_dx")
        scanning = Signal(name="scan_active")
        pool = d.pool
        rows = Signal.like(d.out_h, name="scan_rows")
        cols = Signal.like(d.out_w, name="scan_cols")
        m.d.comb += [rows.eq(d.out_h >> pool), cols.eq(d.out_w >> pool)]
        y = (py << pool) | dy
        x = (px << pool) | dx
        m.d.comb += [
            self.fire_valid.eq(scanning),
            self.fire_advance.eq(~self.emit_stall),
            self.fire_maddr.eq(g * d.positions + y * d.out_w + x),
            self.fire_paddr.eq(d.param_base + g),
        ]
        window_last = ~pool | (dy & dx)
        with m.If(scanning & self.fire_advance):
            m.d.sync += [
                self.stage1_first.eq(~pool | (~dy & ~dx)),
                self.stage1_last.eq(window_last),
                self.stage1_tag.g.eq(g), self.stage1_tag.y.eq(py), self.stage1_tag.x.eq(px),
            ]
            with m.If(pool & ~dx):
                m.d.sync += dx.eq(1)
            with m.Elif(pool & ~dy):
                m.d.sync += [dx.eq(0), dy.eq(1)]
            with m.Else():
                m.d.sync += [dx.eq(0), dy.eq(0)]
                with m.If(px != cols - 1):
                    m.d.sync += px.eq(px + 1)
                with m.Else():
                    m.d.sync += px.eq(0)
                    with m.If(py != rows - 1):
                        m.d.sync += py.eq(py + 1)
                    with m.Else():
                        m.d.sync += py.eq(0)
                        with m.If(g != d.groups - 1):
                            m.d.sync += g.eq(g + 1)
                        with m.Else():
                            m.d.sync += [g.eq(0), scanning.eq(0)]
        with m.If(self.fire_advance):
            m.d.sync += self.stage1_valid.eq(scanning)

        # -- phase FSM ---------------------------------------------------------------------------
        launched = Signal(name="phase_launched")
        m.d.sync += launched.eq(0)
        with m.FSM(name="sequencer"):
            with m.State("IDLE"):
                m.d.comb += self.phase.eq(Phase.IDLE)
                with m.If(self.pixel_valid):
                    m.d.comb += [self.encoder_start.eq(1), self.clear.eq(0b01)]
                    m.d.sync += [self.layer.eq(0), self.read_sel.eq(0), launched.eq(1)]
                    m.next = "INPUT"
            with m.State("INPUT"):
                m.d.comb += self.phase.eq(Phase.INPUT)
                with m.If(~launched & self.encoder_done):
                    m.d.sync += launched.eq(1)
                    m.next = "INTEGRATE"
            with m.State("INTEGRATE"):
                m.d.comb += self.phase.eq(Phase.INTEGRATE)
                with m.If(launched):
                    # first cycle: read the current buffer out, empty the other one
                    m.d.comb += [self.start.eq(1 << self.read_sel),
                                 self.clear.eq(1 << ~self.read_sel)]
                    m.d.sync += launched.eq(0)
                with m.Elif(self.read_done & self.router_idle & self.cores_idle):
                    m.d.sync += [scanning.eq(1), g.eq(0), py.eq(0), px.eq(0), dy.eq(0), dx.eq(0),
                                 launched.eq(1)]
                    m.next = "FIRE"
            with m.State("FIRE"):
                m.d.comb += [self.phase.eq(Phase.FIRE), self.fire_phase.eq(1)]
                with m.If(~launched & ~scanning & ~self.stage1_valid & self.emit_idle):
                    with m.If(self.classifier):
                        m.next = "PREDICT"
                    with m.Else():
                        m.d.sync += [self.layer.eq(self.layer + 1), self.read_sel.eq(~self.read_sel),
                                     launched.eq(1)]
                        m.next = "INTEGRATE"
            with m.State("PREDICT"):
                m.d.comb += [self.phase.eq(Phase.PREDICT), self.predict_valid.eq(1)]
                with m.If(self.predict_ready):
                    m.next = "IDLE"
        return m
