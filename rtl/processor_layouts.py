"""The payload layouts of the processor (``rtl.processor``): the pass descriptor its datapath
reads, sized by a capacity's limits instead of one network's geometry."""

from amaranth.lib import data, enum, stream
from amaranth.lib.wiring import Out

from golden import image as image_format

from . import axi
from .layouts import address, score_layout, trace_layout, upto

__all__ = ["pass_descriptor_layout", "pass_descriptor_value", "ProcessorError", "HEADER_BYTES",
           "header_record_layout", "descriptor_record_layout", "image_constants", "coding_code",
           "fire_rule_code", "request_layout", "param_write_layout", "weight_row_layout",
           "result_ports"]

#: bytes of the image's header and of a descriptor: one read, one record unit
HEADER_BYTES = image_format.HEADER_BYTES
assert image_format.DESCRIPTOR_BYTES == HEADER_BYTES


class ProcessorError(enum.Enum, shape=3):
    """The processor's error code (the ``ERROR`` register, docs/PROCESSOR.md section 5)."""
    NONE = 0
    FORMAT = 1  # bad magic or version
    MISFIT = 2  # the image does not fit the capacity (header, a descriptor, a parameter)
    AXI = 3     # a read answered with an error response
    BUSY = 4    # start while busy (the running inference goes on)


def _record_layout(table, total):
    """A StructLayout of a field table of ``golden.image`` ((name, bytes), from byte 0),
    padded to ``total`` bytes: the image's little-endian fields are its bit fields."""
    fields = {name: 8 * size for name, size in table}
    used = sum(size for _, size in table)
    if used < total:
        fields["unused"] = 8 * (total - used)
    return data.StructLayout(fields)


def header_record_layout():
    """The image header as a 512-bit unit (``golden.image.HEADER_FIELDS``)."""
    return _record_layout(image_format.HEADER_FIELDS, image_format.HEADER_BYTES)


def descriptor_record_layout():
    """A layer descriptor as a 512-bit unit (``golden.image.DESCRIPTOR_FIELDS``)."""
    return _record_layout(image_format.DESCRIPTOR_FIELDS, image_format.DESCRIPTOR_BYTES)


def image_constants():
    """The header values every image has: magic, version."""
    return {"magic": image_format.MAGIC_VALUE, "version": image_format.VERSION}


def fire_rule_code(rule):
    """The header's code of a fire rule."""
    return image_format.FIRE_RULE_CODES[rule]


def coding_code(coding):
    """The header's code of a spike coding."""
    return image_format.CODING_CODES[coding]


def request_layout(config):
    """A read request of the memory master (``rtl.axi.request_layout``): byte address and
    length (> 0)."""
    return axi.request_layout(addr_bits=config.addr_bits, length_bits=32)


def param_write_layout(config):
    """A write of the parameter memory: the entry (g * P + lane within the pass), which half
    (0 bias, 1 threshold) and the image's 32-bit value (cut to the field)."""
    return data.StructLayout({"entry": address(config.param_depth * config.cores), "half": 1,
                              "data": 32})


def weight_row_layout(config):
    """A weight row into every core's weight memory at ``addr``: lane p's code in bits
    5p..5p+4 (the image's row, ``golden.image.pack_rows``)."""
    return data.StructLayout({"addr": address(config.weight_depth),
                              "row": 8 * config.row_bytes})


def pass_descriptor_layout(*, max_channels, max_map, max_kernel, max_groups, membrane_words,
                           weight_words):
    """The descriptor of the pass being run: the fields of ``layouts.descriptor_layout`` (which
    the router, the sequencer's fire scan and the cores read), with the run-time products of
    ``SpikeRouter.RUNTIME_FIELDS``. A pass's weights and parameters are loaded from address 0,
    so ``weight_base`` and ``param_base`` are 0; ``groups`` are the pass's channel groups and
    ``out_c`` the channels from the pass's first one to the layer's last (the fire scan's
    lanes count down from it)."""
    return data.StructLayout({
        "kind": 2,
        "kernel": upto(max_kernel),
        "stride": 2, "padding": upto(max_kernel - 1),
        "out_c": upto(max_channels), "out_h": upto(max_map), "out_w": upto(max_map),
        "groups": upto(max_groups), "positions": upto(membrane_words),
        "pool": 1,
        "weight_base": 1, "param_base": 1,
        "fan_in": upto(weight_words),
        "kernel_sq": upto(max_kernel * max_kernel),
        "in_hw": upto(max_map * max_map),
        "in_w": upto(max_map),
    })


def pass_descriptor_value(d):
    """The value of the pass descriptor for ``d`` (a ``config.LayerDescriptor`` or anything
    with its fields): what the processor's sequencer computes from an image's descriptor."""
    names = [n for n in pass_descriptor_layout(max_channels=1, max_map=1, max_kernel=1,
                                               max_groups=1, membrane_words=1,
                                               weight_words=1).members
             if n not in ("kernel_sq", "in_hw")]
    return {**{n: getattr(d, n) for n in names}, "kernel_sq": d.kernel * d.kernel,
            "in_hw": d.in_h * d.in_w}


def result_ports(config):
    """The processor's result streams (signature members): ``scores`` and, with
    ``config.trace``, ``trace`` (the accelerator's layouts)."""
    ports = {"scores": Out(stream.Signature(score_layout(config)))}
    if config.trace:
        ports["trace"] = Out(stream.Signature(trace_layout(config)))
    return ports
