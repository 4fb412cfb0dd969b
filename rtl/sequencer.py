"""Layer sequencer: the descriptor table, the phase FSM and the fire-phase scan."""

from amaranth.hdl import C, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .config import KIND_CLASSIFIER
from .layouts import Phase, address, descriptor_layout, descriptor_value, tag_layout
from .neuron_core import FireControlSignature, NeuronCore
from .param_memory import ParamMemory

__all__ = ["LayerSequencer", "Phase", "FIRE_STAGES", "LOAD_LEAD"]

#: advances from issuing a fire step to its k being valid in the cores
FIRE_STAGES = NeuronCore.FIRE_LATENCY
#: parameter steps between reading a core's entry and loading it (see the class docstring):
#: the previous group's last step uses Theta THRESHOLD_USE advances after it was issued
LOAD_LEAD = NeuronCore.THRESHOLD_USE - 1
#: the parameter entry of core j is read this many steps after the group starts, so that it
#: leaves the parameter memory's read pipeline at step j + LOAD_LEAD
READ_AHEAD = LOAD_LEAD - ParamMemory.READ_LATENCY
assert READ_AHEAD >= 0


class LayerSequencer(wiring.Component):
    """Runs one inference: input phase, then integrate and fire for each layer of the descriptor
    table (one constant entry per layer, see ``config.LayerDescriptor``), then the prediction.

    Status: ``phase`` (``Phase``) and ``layer`` let a testbench time every phase.

    Reset (and power-up) enters CLEAR: a reset can cut a layer short and leave partial sums in
    the membrane memories, which no reset clears (the fire phase zeroes each membrane as it
    reads it, so an inference that runs to its end leaves them zero). CLEAR drives the cores'
    fire pipeline over every membrane address, one per cycle (``membrane_depth`` + 1 cycles),
    with no stage valid, so that the next image starts from zero membranes; then IDLE. The
    schedule of an inference is unchanged.

    Control:
        pixel_valid (in): a pixel waits; starts an inference when idle.
        encoder_start (out), encoder_done (in): input phase.
        clear (out, 2), start (out, 2): per spike buffer; ``read_sel`` (out) is the buffer the
            current layer reads (the other one is written).
        read_done, router_idle, cores_idle (in): end of integration.
        desc (out): the current layer's descriptor (registered).
        fire (out, ``neuron_core.FireControlSignature``): the scan. ``fire.advance`` =
            not ``emit_stall``. Each channel group starts with P + LOAD_LEAD parameter steps:
            step j + READ_AHEAD reads parameter entry ``(param_base + g) * P + j``
            (``param_addr``, ``param_en``; ``ParamMemory.READ_LATENCY`` steps) and step
            j + LOAD_LEAD loads it into core j
            (``param_load``, one-hot), late enough that the previous group's last step has used
            the old values. Then one
            step per pre-pool position reads membrane ``fire.maddr``.
        stage_valid, stage_first, stage_last, stage_tag (out): the step whose k the cores
            show (FIRE_STAGES advances after it was issued): it opens / closes a pool window,
            and where its group lands.
        emit_idle (in): the emitter has sent everything.
        classifier (out): the current layer is the classifier.
        predict_valid (out) / predict_ready (in): the prediction handshake.

    Run-time mode (``config.runtime``, the processor's ``rtl.processor_config.ProcessorConfig``):
    there is no descriptor table. A layer runs in passes, each loaded by the processor before
    it runs; the sequencer waits for each in the state that ``pass_wait`` (out) shows (with
    ``phase`` IDLE): after the input phase and after every pass's fire phase but the last
    one's. Then:
        pass_go (in): run the pass described by ``pass_desc`` (in, the processor's pass
            descriptor, held until the pass ends), with ``first_pass`` (in: the layer's first:
            the other spike buffer is emptied when it starts) and ``last_pass`` (in: the
            layer's last: the next pass reads what this layer wrote; after the classifier's
            last, PREDICT). Each pass replays the whole input spike buffer.
        abort (in): while waiting, back to IDLE (an inference cut at a pass boundary leaves
            no partial sums: every fired membrane is zero).
    The classifier is the pass whose descriptor's kind is ``KIND_CLASSIFIER``.
    """

    def __init__(self, config):
        self._config = config
        self._runtime = getattr(config, "runtime", False)
        if self._runtime:
            desc = config.pass_descriptor_layout()
            L = config.max_layers
        else:
            desc = descriptor_layout(config)
            L = len(config.layers)
        self._tag = tag_layout(config)
        mdepth, pdepth = config.membrane_depth, config.param_depth * config.cores
        runtime_ports = {"pass_wait": Out(1), "pass_go": In(1), "pass_desc": In(desc),
                         "first_pass": In(1), "last_pass": In(1),
                         "abort": In(1)} if self._runtime else {}
        super().__init__({
            **runtime_ports,
            "phase": Out(Phase), "layer": Out(range(L)),
            "pixel_valid": In(1), "encoder_start": Out(1), "encoder_done": In(1),
            "clear": Out(2), "start": Out(2), "read_sel": Out(1),
            "read_done": In(1), "router_idle": In(1), "cores_idle": In(1),
            "desc": Out(desc),
            "fire": Out(FireControlSignature(membrane_depth=mdepth)),
            "param_addr": Out(address(pdepth)), "param_en": Out(1),
            "param_load": Out(config.cores),
            "stage_valid": Out(1), "stage_first": Out(1), "stage_last": Out(1),
            "stage_tag": Out(self._tag),
            "emit_stall": In(1), "emit_idle": In(1),
            "classifier": Out(1),
            "predict_valid": Out(1), "predict_ready": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        P = cfg.cores
        L = None if self._runtime else len(cfg.layers)
        d = self.desc

        if self._runtime:  # the pass's descriptor, registered as the table's entry is
            m.d.sync += [d.eq(self.pass_desc),
                         self.classifier.eq(self.pass_desc.kind == KIND_CLASSIFIER)]
        else:
            # the descriptor table; registered, the datapath reads it two or more cycles after
            # a layer change
            with m.Switch(self.layer):
                for i, ld in enumerate(cfg.layers):
                    with m.Case(i):
                        m.d.sync += d.eq(d.shape().const(descriptor_value(cfg, ld)))
            # registered, like the descriptor
            m.d.sync += self.classifier.eq(self.layer == L - 1)

        # -- fire scan ---------------------------------------------------------------------------
        # order: group g, then [P + LOAD_LEAD parameter steps], pooled row, pooled column,
        # 2x2 window
        scanning = Signal(name="scan_active")
        loading = Signal(name="scan_loading")
        load_step = Signal(range(P + LOAD_LEAD), name="scan_load_step")
        g = Signal.like(self.stage_tag.g, name="scan_g")
        py = Signal(cfg.y_bits, name="scan_py")
        px = Signal(cfg.x_bits, name="scan_px")
        dy = Signal(name="scan_dy")
        dx = Signal(name="scan_dx")
        lanes_left = Signal.like(d.out_c, name="scan_lanes_left")
        # addresses kept as running sums: no multiplier on the membrane address path; the
        # window base (group + row + column) is one register
        group_base = Signal.like(self.fire.maddr, name="scan_group_base")
        row_base = Signal.like(self.fire.maddr, name="scan_row_base")
        window_base = Signal.like(self.fire.maddr, name="scan_window_base")
        # rate coding does not pool here: every pre-pool neuron sends its count (the layer
        # that reads the map averages it, rtl.datapath)
        pool = d.pool if cfg.coding == "ttfs" else C(0, 1)
        rows = d.out_h >> pool
        cols = d.out_w >> pool
        scan_step = scanning & ~loading
        clear_step = Signal(name="clear_step")  # CLEAR zeroes membrane ``clear_addr``
        # CLEAR's own address counter, zero outside CLEAR; the scan's address terms are zero
        # during CLEAR (their reset values, untouched until FIRE), so OR-ing them merges the two
        # without putting CLEAR in the scan's window_base update logic (its critical path)
        clear_addr = Signal.like(self.fire.maddr, name="clear_addr")
        m.d.comb += [
            self.fire.advance.eq(~self.emit_stall),
            self.fire.valid.eq(scan_step | clear_step),
            self.fire.maddr.eq((window_base + Mux(dy, d.out_w, 0) + dx) | clear_addr),
            self.param_en.eq(self.fire.advance),
        ]
        advance = scanning & self.fire.advance
        with m.If(advance & loading):
            m.d.sync += load_step.eq(load_step + 1)
            # the entry of core j is read at step j + READ_AHEAD, loaded at step j + LOAD_LEAD
            reading = load_step < P + READ_AHEAD
            if READ_AHEAD:
                reading &= load_step >= READ_AHEAD
            with m.If(reading):
                m.d.sync += self.param_addr.eq(self.param_addr + 1)
            with m.If(load_step >= LOAD_LEAD):
                m.d.comb += self.param_load.eq(1 << (load_step - LOAD_LEAD).as_unsigned())
            with m.If(load_step == P + LOAD_LEAD - 1):
                m.d.sync += loading.eq(0)

        stages = [{"valid": Signal(name=f"stage{i}_valid"), "first": Signal(name=f"stage{i}_first"),
                   "last": Signal(name=f"stage{i}_last"),
                   "tag": Signal(self._tag, name=f"stage{i}_tag")}
                  for i in range(1, FIRE_STAGES)]
        stages.append({"valid": self.stage_valid, "first": self.stage_first,
                       "last": self.stage_last, "tag": self.stage_tag})
        with m.If(self.fire.advance):
            s1 = stages[0]
            m.d.sync += [
                s1["valid"].eq(scan_step),
                s1["first"].eq(~pool | (~dy & ~dx)),
                s1["last"].eq(~pool | (dy & dx)),
                s1["tag"].g.eq(g), s1["tag"].y.eq(py), s1["tag"].x.eq(px),
                s1["tag"].lanes.eq(Mux(lanes_left > P, P, lanes_left)),
            ]
            for prev, nxt in zip(stages, stages[1:]):
                m.d.sync += [nxt[k].eq(prev[k]) for k in ("valid", "first", "last", "tag")]

        with m.If(advance & ~loading):
            with m.If(pool & ~dx):
                m.d.sync += dx.eq(1)
            with m.Elif(pool & ~dy):
                m.d.sync += [dx.eq(0), dy.eq(1)]
            with m.Else():
                m.d.sync += [dx.eq(0), dy.eq(0)]
                with m.If(px != cols - 1):
                    m.d.sync += [px.eq(px + 1), window_base.eq(window_base + (1 << pool))]
                with m.Else():
                    m.d.sync += px.eq(0)
                    with m.If(py != rows - 1):
                        row = row_base + (d.out_w << pool)
                        m.d.sync += [py.eq(py + 1), row_base.eq(row), window_base.eq(row)]
                    with m.Else():
                        group = group_base + d.positions
                        m.d.sync += [py.eq(0), loading.eq(1), load_step.eq(0),
                                     g.eq(g + 1), group_base.eq(group), row_base.eq(group),
                                     window_base.eq(group), lanes_left.eq(lanes_left - P)]
                        with m.If(g == d.groups - 1):
                            m.d.sync += scanning.eq(0)

        # -- phase FSM ---------------------------------------------------------------------------
        launched = Signal(name="phase_launched")
        m.d.sync += launched.eq(0)
        clearing = Signal(init=1, name="clear_issuing")  # 0 outside CLEAR
        # fire.phase (CLEAR or FIRE) from a register set with the state, not decoded from it:
        # it fans out to every core's membrane port multiplexers
        fire_phase = Signal(init=1, name="fire_phase")
        m.d.comb += [self.fire.phase.eq(fire_phase), clear_step.eq(clearing)]
        with m.FSM(name="sequencer"):
            with m.State("CLEAR"):
                # The reset state. A reset may cut a layer short, leaving partial sums in the
                # membranes (the fire phase zeroes each membrane as it reads it): the cores'
                # fire pipeline zeroes every address, one per cycle, before the first image.
                m.d.comb += self.phase.eq(Phase.CLEAR)
                with m.If(self.fire.advance):
                    with m.If(clearing):
                        m.d.sync += clear_addr.eq(clear_addr + 1)
                        with m.If(clear_addr == cfg.membrane_depth - 1):
                            m.d.sync += clearing.eq(0)
                    with m.Else():
                        # the last address is written now, one advance after its issue
                        m.d.sync += [clear_addr.eq(0), fire_phase.eq(0)]
                        m.next = "IDLE"
            with m.State("IDLE"):
                m.d.comb += self.phase.eq(Phase.IDLE)
                with m.If(self.pixel_valid):
                    m.d.comb += [self.encoder_start.eq(1), self.clear.eq(0b01)]
                    m.d.sync += [self.layer.eq(0), self.read_sel.eq(0)]
                    m.next = "INPUT"
            with m.State("INPUT"):
                m.d.comb += self.phase.eq(Phase.INPUT)
                with m.If(self.encoder_done):
                    if self._runtime:
                        m.next = "WAIT"
                    else:
                        m.d.sync += launched.eq(1)
                        m.next = "INTEGRATE"
            if self._runtime:
                with m.State("WAIT"):
                    # the processor loads the next pass; the datapath is empty
                    m.d.comb += [self.phase.eq(Phase.IDLE), self.pass_wait.eq(1)]
                    with m.If(self.abort):
                        m.next = "IDLE"
                    with m.Elif(self.pass_go):
                        m.d.sync += launched.eq(1)
                        m.next = "INTEGRATE"
            with m.State("INTEGRATE"):
                m.d.comb += self.phase.eq(Phase.INTEGRATE)
                with m.If(launched):
                    # first cycle: read the current buffer out, empty the other one (a later
                    # pass of the layer appends to it)
                    m.d.comb += self.start.eq(1 << self.read_sel)
                    clear_other = self.clear.eq(1 << ~self.read_sel)
                    if self._runtime:
                        with m.If(self.first_pass):
                            m.d.comb += clear_other
                    else:
                        m.d.comb += clear_other
                with m.Elif(self.read_done & self.router_idle & self.cores_idle):
                    m.d.sync += [scanning.eq(1), loading.eq(1), load_step.eq(0),
                                 g.eq(0), py.eq(0), px.eq(0), dy.eq(0), dx.eq(0),
                                 group_base.eq(0), row_base.eq(0), window_base.eq(0),
                                 lanes_left.eq(d.out_c), self.param_addr.eq(d.param_base * P),
                                 launched.eq(1), fire_phase.eq(1)]
                    m.next = "FIRE"
            with m.State("FIRE"):
                m.d.comb += self.phase.eq(Phase.FIRE)
                in_flight = 0
                for stage in stages:
                    in_flight = in_flight | stage["valid"]
                with m.If(~launched & ~scanning & ~in_flight & self.emit_idle):
                    m.d.sync += fire_phase.eq(0)
                    if self._runtime:
                        with m.If(self.last_pass & self.classifier):
                            m.next = "PREDICT"
                        with m.Else():
                            with m.If(self.last_pass):
                                m.d.sync += [self.layer.eq(self.layer + 1),
                                             self.read_sel.eq(~self.read_sel)]
                            m.next = "WAIT"
                    else:
                        with m.If(self.classifier):
                            m.next = "PREDICT"
                        with m.Else():
                            m.d.sync += [self.layer.eq(self.layer + 1),
                                         self.read_sel.eq(~self.read_sel), launched.eq(1)]
                            m.next = "INTEGRATE"
            with m.State("PREDICT"):
                m.d.comb += [self.phase.eq(Phase.PREDICT), self.predict_valid.eq(1)]
                with m.If(self.predict_ready):
                    m.next = "IDLE"
        return m
