"""The payload layouts of the processor (``rtl.processor``): the pass descriptor its datapath
reads, sized by a capacity's limits instead of one network's geometry."""

from amaranth.lib import data

from .layouts import upto

__all__ = ["pass_descriptor_layout", "pass_descriptor_value"]


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
