"""The processor's sequencer: one inference from a network image in memory (docs/PROCESSOR.md
section 6), driving the memory master's requests and the datapath's ``LayerSequencer``."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import enum, stream, wiring
from amaranth.lib.wiring import In, Out

from golden.image import PARAM_ENTRY_BYTES
from golden.processor_cycles import SEQUENCER_PRODUCTS, operand_bounds

from .arith import constant_product
from .config import KIND_CLASSIFIER, KIND_CONV
from .processor_config import _bits
from .layouts import address, upto
from .processor_layouts import (
    HEADER_BYTES,
    ProcessorError,
    descriptor_record_layout,
    fire_rule_code,
    header_record_layout,
    image_constants,
    param_write_layout,
    request_layout,
    weight_row_layout,
)
from .unpack import unit_layout

__all__ = ["ProcessorSequencer", "Route"]


class Route(enum.Enum, shape=2):
    """Which unpacker the memory master's beats go to (the kind of the request in flight)."""
    RECORD = 0  # header or descriptor (64 bytes)
    PIXEL = 1   # input pixels (1 byte)
    PARAM = 2   # bias and threshold of a channel (8 bytes)
    ROW = 3     # a weight row: P 5-bit codes (``row_bytes``)


class ProcessorSequencer(wiring.Component):
    """Reads one network image and runs it: IDLE -> on ``start``: the header (checked) -> the
    input pixels (through the ``InputEncoder``) -> for each layer its descriptor (checked
    against the capacity), then for each pass its parameters (into the ``ParamMemory``) and
    weights (into every core's weight memory, one row of P codes per cycle), then the pass
    itself (``LayerSequencer``'s ``pass_go``: integrate, fire) -> the prediction -> ``done``.
    Loading does not overlap compute. One read request is in flight at a time, and all of its
    data is taken before the next is issued.

    No multiplier sits on a combinational path: the products of descriptor fields (the input
    map's neurons, the pass plan's cover, a pass's membranes and weight rows, the pooled map,
    the router's K * K and H * W: ``golden.processor_cycles.SEQUENCER_PRODUCTS``) are computed
    one after another on one shift-add multiplier, one bit of the multiplier operand per cycle,
    into registers, after every operand was checked against its bound under the capacity
    (``operand_bounds``), so the products are narrow; products by constants (P, the row and
    entry bytes) are shifted sums. The descriptor is not copied: the record unpacker's unit
    register holds it for the whole layer (the unit is taken when the layer ends or fails).

    Ports (``config`` is a ``ProcessorConfig``):
        start (in): a one-cycle pulse starts an inference (while busy: error 4, ignored).
        image_base, input_base (in): byte addresses (aligned to 64), held while busy.
        busy (out), done (out, one cycle at the end), error (out, ``ProcessorError``: the
            code of the last inference, cleared by the next start).
        requests (out stream, ``request_layout``): {addr, length} of each read.
        route (out, ``Route``): the unpacker of the request in flight.
        records (in stream, 512 bits), params (in stream, 64 bits), rows (in stream,
            ``row_bytes * 8`` bits): the units (``rtl.unpack.unit_layout``) of header and
            descriptor, parameter and weight requests. (Pixels go from their unpacker straight
            to the encoder.)
        axi_error (in): the memory master saw an error response (sticky there until its next
            request; latched here). Errors end the inference at the next request boundary,
            after the data in flight was taken, so no data of it is left behind.
        in_c, in_h, in_w (out): the input map (for the encoder), valid from the input request.
        param_write (out stream, always ready): ``ParamMemory.write``.
        weight_write (out stream, always ready): a row: every core writes its lane's code.
        pass_wait (in), pass_go, pass_desc, first_pass, last_pass, abort (out),
            predict_valid (in), predict_ready (out): the ``LayerSequencer`` (run-time mode).
        group_offset (out): the first channel group of the running pass (output channel =
            (group_offset + g) * P + lane).
        layers (out): the image's compute layers.
    """

    def __init__(self, config):
        self._config = config
        self._desc = config.pass_descriptor_layout()
        self._header = header_record_layout()
        self._record = descriptor_record_layout()
        super().__init__({
            "start": In(1),
            "image_base": In(config.addr_bits), "input_base": In(config.addr_bits),
            "busy": Out(1), "done": Out(1), "error": Out(ProcessorError),
            "requests": Out(stream.Signature(request_layout(config))),
            "route": Out(Route),
            "records": In(stream.Signature(unit_layout(8 * HEADER_BYTES))),
            "params": In(stream.Signature(unit_layout(64))),
            "rows": In(stream.Signature(unit_layout(8 * config.row_bytes))),
            "axi_error": In(1),
            "in_c": Out(upto(config.input_shape[0])), "in_h": Out(upto(config.input_shape[1])),
            "in_w": Out(upto(config.input_shape[2])),
            "param_write": Out(stream.Signature(param_write_layout(config),
                                                always_ready=True)),
            "weight_write": Out(stream.Signature(weight_row_layout(config),
                                                 always_ready=True)),
            "pass_wait": In(1), "pass_go": Out(1), "pass_desc": Out(self._desc),
            "first_pass": Out(1), "last_pass": Out(1), "abort": Out(1),
            "predict_valid": In(1), "predict_ready": Out(1),
            "group_offset": Out(address(config.layer_groups)),
            "layers": Out(upto(config.max_layers)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        cap = cfg.capacity
        P = cfg.cores
        consts = image_constants()
        abits = cfg.addr_bits
        bounds = operand_bounds(cap)

        def narrow(value, operand):
            """``value`` cut to the width of ``operand``'s bound (checked before it is used)."""
            return value[:_bits(bounds[operand])]

        error = Signal(ProcessorError, name="error_code")
        axi_failed = Signal(name="axi_failed")  # an error response in this inference
        param_bad = Signal(name="param_bad")    # a bias or threshold beyond its field
        m.d.comb += self.error.eq(error)
        with m.If(self.axi_error & self.busy):
            m.d.sync += axi_failed.eq(1)
        with m.If(self.start & self.busy):  # (the inference's own errors, below, win)
            m.d.sync += error.eq(ProcessorError.BUSY)

        # -- the request in flight ------------------------------------------------------------
        req_addr = Signal(abits, name="req_addr")
        # (the longest: a record, the input map, a pass's parameters or its weights)
        req_len = Signal(range(max(HEADER_BYTES, cap.spike_events,
                                   cfg.param_depth * P * PARAM_ENTRY_BYTES,
                                   cfg.weight_depth * cfg.row_bytes) + 1), name="req_len")
        m.d.comb += [self.requests.p.addr.eq(req_addr), self.requests.p.length.eq(req_len)]

        # -- the image: header fields, the layer's descriptor, the pass ---------------------
        # The record unpacker's unit register holds the header until it is checked and the
        # layer's descriptor for the whole layer (taken when the layer ends), so the
        # descriptor is not copied into a register of its own.
        hdr = self._header(self.records.payload.data)
        d = self._record(self.records.payload.data)  # the current layer's descriptor
        layers = self.layers
        desc_addr = Signal(abits, name="descriptor_addr")  # the next descriptor's address
        layer = Signal(range(cfg.max_layers + 1), name="image_layer")
        passes = narrow(d.passes, "passes")
        gpp = narrow(d.groups_per_pass, "groups_per_pass")
        groups = narrow(d.groups, "passes")     # (a layer has at most as many groups)
        fan_in = narrow(d.fan_in, "fan_in")
        pass_index = Signal(range(bounds["passes"] + 1), name="pass_index")
        group_first = Signal.like(self.group_offset, name="pass_first_group")
        groups_in_pass = Signal(range(bounds["groups_in_pass"] + 1), name="pass_groups")
        pass_out_c = Signal.like(self.pass_desc.out_c, name="pass_out_c")
        params_addr = Signal(abits, name="pass_params_addr")
        weights_addr = Signal(abits, name="pass_weights_addr")
        entries = Signal(range(cfg.param_depth * P + 1), name="pass_entries")
        # parameter entries or weight rows taken
        count = Signal(range(max(cfg.param_depth * P, cfg.weight_depth) + 1), name="unit_count")
        half = Signal(name="param_half")  # 0: bias, 1: threshold of the entry being written
        m.d.comb += self.group_offset.eq(group_first)

        # the products the datapath reads: registered (SEQUENCER_PRODUCTS, below)
        products = {name: Signal(range(bounds[a] * bounds[b] + 1), name=name)
                    for stage in SEQUENCER_PRODUCTS.values() for name, a, b in stage}
        pd = self.pass_desc
        m.d.comb += [
            pd.kind.eq(d.kind), pd.kernel.eq(d.kernel), pd.stride.eq(d.stride),
            pd.padding.eq(d.padding), pd.out_c.eq(pass_out_c),
            pd.out_h.eq(d.out_h), pd.out_w.eq(d.out_w), pd.groups.eq(groups_in_pass),
            pd.positions.eq(d.positions), pd.pool.eq(d.pool), pd.weight_base.eq(0),
            pd.param_base.eq(0), pd.fan_in.eq(d.fan_in),
            pd.kernel_sq.eq(products["kernel_sq"]), pd.in_hw.eq(products["in_hw"]),
            pd.in_w.eq(d.in_w),
            self.last_pass.eq(pass_index == passes - 1),
            self.first_pass.eq(pass_index == 0),
        ]

        # -- checks -----------------------------------------------------------------------------
        # Each operand of a product is checked against its bound first (one cycle), so that the
        # products are narrow; what needs a product is checked when the product is done.
        header_bad_format = (hdr.magic != consts["magic"]) | (hdr.version != consts["version"])
        header_misfit = ((hdr.cores != P) | (hdr.T != cap.T) | (hdr.F != cap.F) |
                         (hdr.fire_rule != fire_rule_code(cap.fire_rule)) |
                         (hdr.coding != consts["coding_ttfs"]) |
                         (hdr.membrane_bits > cap.membrane_bits) |
                         (hdr.layers == 0) | (hdr.layers > cap.max_layers) |
                         (hdr.in_c == 0) | (hdr.in_c > cfg.input_shape[0]) |
                         (hdr.in_h == 0) | (hdr.in_h > cap.max_map) |
                         (hdr.in_w == 0) | (hdr.in_w > cap.max_map))
        last_layer = layer == layers - 1
        conv = d.kind == KIND_CONV
        # groups = ceil(out_c / P): groups * P >= out_c > (groups - 1) * P
        groups_p = constant_product(d.groups, P)
        record_misfit = Signal(name="record_misfit")
        m.d.comb += record_misfit.eq(
            (d.kind > KIND_CLASSIFIER) | ((d.kind == KIND_CLASSIFIER) != last_layer) |
            (conv & ((d.kernel == 0) | (d.kernel > cap.max_kernel) | (d.padding >= d.kernel) |
                     (d.stride == 0) | (d.stride > 2))) |
            (d.pool & (~conv | d.out_h[0] | d.out_w[0])) |
            (d.in_c == 0) | (d.in_c > cap.max_channels) | (d.in_h == 0) |
            (d.in_h > cap.max_map) | (d.in_w == 0) | (d.in_w > cap.max_map) |
            (d.out_c == 0) | (d.out_c > cap.max_channels) | (d.out_h == 0) |
            (d.out_h > cap.max_map) | (d.out_w == 0) | (d.out_w > cap.max_map) |
            (d.groups == 0) | (groups_p < d.out_c) | (groups_p - P >= d.out_c) |
            (d.groups_per_pass == 0) | (d.groups_per_pass > cfg.max_groups) |
            (d.passes == 0) | (d.passes > bounds["passes"]) |
            (d.fan_in == 0) | (d.fan_in > cap.weight_words) |
            (d.positions == 0) | (d.positions > cap.membrane_words))
        # ... and when the products are done
        product_misfit = {
            "input_neurons": lambda v: v > cap.spike_events,
            # passes = ceil(groups / gpp): passes * gpp >= groups > (passes - 1) * gpp
            "pass_cover": lambda v: (v < groups) | (v - gpp >= groups),
            "pass_membranes": lambda v: v > cap.membrane_words,
            "pass_weights": lambda v: v > cap.weight_words,
            "pooled": lambda v: (d.kind != KIND_CLASSIFIER) & (v > cap.spike_events),
        }

        # a parameter entry's fields: the bias fits bias_bits signed, 1 <= Theta < 2^bits
        bias = self.params.payload.data[:32].as_signed()
        theta = self.params.payload.data[32:64]
        bias_lo, bias_hi = -(1 << (cap.bias_bits - 1)), (1 << (cap.bias_bits - 1)) - 1
        param_misfit = ((bias < bias_lo) | (bias > bias_hi) | (theta == 0) |
                        (theta >= (1 << cap.threshold_bits)))
        m.d.comb += [
            self.param_write.p.entry.eq(count), self.param_write.p.half.eq(half),
            self.param_write.p.data.eq(Mux(half, theta, bias)),
            self.weight_write.p.addr.eq(count), self.weight_write.p.row.eq(self.rows.payload.data),
        ]

        # -- the shift-add multiplier ----------------------------------------------------------
        # One adder for every product: acc <- 2 * acc + bit * multiplicand, the multiplier's
        # bits most significant first, one per cycle (golden.processor_cycles.product_cycles).
        operands = {
            "input_h": self.in_h, "input_w": self.in_w, "input_c": self.in_c,
            "in_h": narrow(d.in_h, "in_h"), "in_w": narrow(d.in_w, "in_w"),
            "input_hw": products["input_hw"], "passes": passes, "groups_per_pass": gpp,
            "groups_in_pass": groups_in_pass, "positions": narrow(d.positions, "positions"),
            "fan_in": fan_in, "pooled_h": narrow(d.out_h >> d.pool, "pooled_h"),
            "pooled_w": narrow(d.out_w >> d.pool, "pooled_w"),
            "pooled_hw": products["pooled_hw"], "out_c": narrow(d.out_c, "out_c"),
            "kernel": narrow(d.kernel, "kernel"),
        }
        widest = max(len(p) for p in products.values())
        steps = max(_bits(bounds[b]) for stage in SEQUENCER_PRODUCTS.values()
                    for _, _, b in stage)
        acc = Signal(widest, name="product_acc")
        step = Signal(range(steps), name="product_step")  # 0 outside a product
        multiplicand = Signal(widest, name="product_multiplicand")
        multiplier_bit = Signal(name="product_bit")
        product = Signal(widest, name="product")
        m.d.comb += product.eq(Mux(step == 0, 0, acc << 1) + Mux(multiplier_bit, multiplicand, 0))

        def fail(code):
            m.d.sync += error.eq(code)
            m.next = "FAIL"

        def multiply(stage, then):
            """The states of the products of ``stage``, then state ``then`` (or FAIL when a
            product's check fails)."""
            names = SEQUENCER_PRODUCTS[stage]
            for i, (name, a, b) in enumerate(names):
                width = _bits(bounds[b])
                factor = narrow(operands[b], b)
                after = then if i == len(names) - 1 else f"PRODUCT_{names[i + 1][0].upper()}"
                with m.State(f"PRODUCT_{name.upper()}"):
                    msb_first = Cat(factor[i] for i in reversed(range(width)))
                    m.d.comb += [multiplicand.eq(operands[a]),
                                 multiplier_bit.eq(msb_first.bit_select(step, 1))]
                    m.d.sync += acc.eq(product)
                    with m.If(step == width - 1):
                        m.d.sync += [step.eq(0), products[name].eq(product)]
                        if name == "input_neurons":   # the input request's length
                            m.d.sync += req_len.eq(product)
                        if name in product_misfit:
                            with m.If(product_misfit[name](product)):
                                fail(ProcessorError.MISFIT)
                            with m.Else():
                                m.next = after
                        else:
                            m.next = after
                    with m.Else():
                        m.d.sync += step.eq(step + 1)
            return f"PRODUCT_{names[0][0].upper()}"

        def request(state, route, then):
            """State ``state`` issues the read of ``req_addr``/``req_len`` for ``route``,
            unless a read failed (a request boundary: the inference ends there)."""
            with m.State(state):
                m.d.comb += self.route.eq(route)
                with m.If(axi_failed):
                    fail(ProcessorError.AXI)
                with m.Else():
                    m.d.comb += self.requests.valid.eq(1)
                    with m.If(self.requests.ready):
                        m.next = then

        with m.FSM(name="processor"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [error.eq(ProcessorError.NONE), axi_failed.eq(0),
                                 param_bad.eq(0), self.busy.eq(1),
                                 req_addr.eq(self.image_base), req_len.eq(HEADER_BYTES)]
                    m.next = "HEADER_REQUEST"
            request("HEADER_REQUEST", Route.RECORD, "HEADER")
            with m.State("HEADER"):
                m.d.comb += [self.route.eq(Route.RECORD), self.records.ready.eq(1)]
                with m.If(self.records.valid):
                    m.d.sync += [layers.eq(hdr.layers), self.in_c.eq(hdr.in_c),
                                 self.in_h.eq(hdr.in_h), self.in_w.eq(hdr.in_w),
                                 desc_addr.eq(self.image_base + hdr.descriptor_offset),
                                 req_addr.eq(self.input_base)]
                    with m.If(header_bad_format):
                        fail(ProcessorError.FORMAT)
                    with m.Elif(header_misfit):
                        fail(ProcessorError.MISFIT)
                    with m.Else():
                        m.next = "PRODUCT_INPUT_HW"
            multiply("header", "INPUT_REQUEST")
            request("INPUT_REQUEST", Route.PIXEL, "INPUT")
            with m.State("INPUT"):
                # the encoder takes the pixels; the layer sequencer waits once it is done
                m.d.comb += self.route.eq(Route.PIXEL)
                with m.If(self.pass_wait):
                    m.d.sync += [layer.eq(0), req_addr.eq(desc_addr), req_len.eq(HEADER_BYTES)]
                    m.next = "DESCRIPTOR_REQUEST"
            request("DESCRIPTOR_REQUEST", Route.RECORD, "DESCRIPTOR")
            with m.State("DESCRIPTOR"):
                m.d.comb += self.route.eq(Route.RECORD)
                with m.If(self.records.valid):   # (held until the layer ends)
                    m.d.sync += [pass_index.eq(0), group_first.eq(0),
                                 desc_addr.eq(desc_addr + HEADER_BYTES),
                                 params_addr.eq(self.image_base + d.params_offset),
                                 weights_addr.eq(self.image_base + d.weights_offset)]
                    m.next = "CHECK"
            with m.State("CHECK"):
                with m.If(record_misfit):
                    fail(ProcessorError.MISFIT)
                with m.Else():
                    m.next = "PRODUCT_PASS_COVER"
            multiply("layer", "PASS")
            with m.State("PASS"):
                # the pass's size: its groups, parameter entries and weight rows
                left = groups - group_first
                gip = Mux(left < gpp, left, gpp)
                m.d.sync += [groups_in_pass.eq(gip), entries.eq(constant_product(gip, P)),
                             pass_out_c.eq(d.out_c - constant_product(group_first, P)),
                             count.eq(0), half.eq(0),
                             req_addr.eq(params_addr),
                             req_len.eq(constant_product(gip, PARAM_ENTRY_BYTES * P))]
                m.next = "PRODUCT_ROWS"
            multiply("pass", "PARAMS_REQUEST")
            request("PARAMS_REQUEST", Route.PARAM, "PARAMS")
            with m.State("PARAMS"):
                # two writes per entry: the bias, then the threshold (taking the unit)
                m.d.comb += [self.route.eq(Route.PARAM), self.params.ready.eq(half),
                             self.param_write.valid.eq(self.params.valid)]
                with m.If(self.params.valid):
                    m.d.sync += half.eq(~half)
                    with m.If(half):
                        with m.If(param_misfit):
                            m.d.sync += param_bad.eq(1)
                        m.d.sync += count.eq(count + 1)
                        with m.If(count == entries - 1):
                            m.d.sync += [count.eq(0), req_addr.eq(weights_addr),
                                         req_len.eq(constant_product(products["rows"],
                                                                    cfg.row_bytes))]
                            m.next = "WEIGHTS_REQUEST"
            request("WEIGHTS_REQUEST", Route.ROW, "WEIGHTS")
            with m.State("WEIGHTS"):
                m.d.comb += [self.route.eq(Route.ROW), self.rows.ready.eq(1),
                             self.weight_write.valid.eq(self.rows.valid)]
                with m.If(self.rows.valid):
                    m.d.sync += count.eq(count + 1)
                    with m.If(count == products["rows"] - 1):
                        m.next = "GO"
            with m.State("GO"):
                with m.If(axi_failed):
                    fail(ProcessorError.AXI)
                with m.Elif(param_bad):
                    fail(ProcessorError.MISFIT)
                with m.Elif(self.pass_wait):
                    m.d.comb += self.pass_go.eq(1)
                    m.next = "RUN"
            with m.State("RUN"):
                with m.If(self.predict_valid):
                    m.d.comb += self.records.ready.eq(1)   # the layer's descriptor
                    m.next = "PREDICT"
                with m.Elif(self.pass_wait):
                    with m.If(~self.last_pass):
                        m.d.sync += [pass_index.eq(pass_index + 1),
                                     group_first.eq(group_first + gpp),
                                     params_addr.eq(params_addr + d.params_stride),
                                     weights_addr.eq(weights_addr + d.weights_stride)]
                        m.next = "PASS"
                    with m.Else():
                        m.d.comb += self.records.ready.eq(1)   # the layer's descriptor
                        m.d.sync += [layer.eq(layer + 1), req_addr.eq(desc_addr),
                                     req_len.eq(HEADER_BYTES)]
                        m.next = "DESCRIPTOR_REQUEST"
            with m.State("PREDICT"):
                m.d.comb += self.predict_ready.eq(1)
                m.next = "DONE"
            with m.State("FAIL"):
                # at a request boundary: the layer sequencer is idle (header, input) or waiting;
                # a descriptor still held is taken
                m.d.comb += [self.abort.eq(1), self.records.ready.eq(1)]
                m.next = "DONE"
            with m.State("DONE"):
                m.d.comb += self.done.eq(1)
                m.d.sync += self.busy.eq(0)
                m.next = "IDLE"
        return m
