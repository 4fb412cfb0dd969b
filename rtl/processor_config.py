"""The processor's generation parameters: what ``rtl.config.HardwareConfig`` is to the
fixed-network accelerator, derived from a capacity (``golden.capacity.Capacity``) instead of a
network. The datapath components read the same attribute names from either (``cores``,
``membrane_depth``, ``c_bits``, ...); ``runtime`` tells them that the layer geometry comes from
descriptors at run time."""

import math

from golden import contract

from . import checks
from .config import ADDERS, P_MAX

__all__ = ["ProcessorConfig"]

#: the fields a capacity must have (docs/PROCESSOR.md section 1)
CAPACITY_FIELDS = ("cores", "membrane_words", "weight_words", "param_words", "spike_events",
                   "max_layers", "T",
                   "F", "fire_rule", "coding", "membrane_bits", "threshold_bits", "bias_bits",
                   "max_channels", "max_map", "max_kernel", "data_bits", "addr_bits",
                   "max_bursts")


def _bits(n):
    """Unsigned width for values 0..n (at least 1)."""
    return max(1, int(n).bit_length())


class ProcessorConfig:
    """The processor of ``capacity`` (any object with ``CAPACITY_FIELDS``, normally a
    ``golden.capacity.Capacity``, which validates them). ``trace``: add the trace stream of
    every event written to a spike buffer. ``adder``: the cores' membrane adder."""

    runtime = True

    def __init__(self, capacity, *, adder="carry", trace=True):
        missing = [f for f in CAPACITY_FIELDS if not hasattr(capacity, f)]
        if missing:
            raise TypeError(f"capacity lacks {', '.join(missing)} (a golden.capacity.Capacity "
                            "has them)")
        checks.integer("capacity cores", capacity.cores, 1, P_MAX)
        if adder not in ADDERS:
            raise ValueError(f"adder must be one of {', '.join(ADDERS)}, not {adder!r}")
        if not isinstance(trace, bool):
            raise ValueError(f"trace must be True or False, not {trace!r}")
        self._cap = capacity
        self._adder = adder
        self._trace = trace

    capacity = property(lambda self: self._cap)
    adder = property(lambda self: self._adder)
    trace = property(lambda self: self._trace)
    cores = property(lambda self: self._cap.cores)
    T = property(lambda self: self._cap.T)
    F = property(lambda self: self._cap.F)
    fire_rule = property(lambda self: self._cap.fire_rule)
    coding = property(lambda self: self._cap.coding)
    membrane_bits = property(lambda self: self._cap.membrane_bits)
    threshold_bits = property(lambda self: self._cap.threshold_bits)
    bias_bits = property(lambda self: self._cap.bias_bits)
    max_layers = property(lambda self: self._cap.max_layers)
    data_bits = property(lambda self: self._cap.data_bits)
    addr_bits = property(lambda self: self._cap.addr_bits)

    @property
    def membrane_depth(self):
        return self._cap.membrane_words

    @property
    def weight_depth(self):
        return self._cap.weight_words

    @property
    def spike_depth(self):
        return self._cap.spike_events

    @property
    def max_groups(self):
        """Channel groups of one pass, at most (``param_words``: a parameter entry per core
        for each)."""
        return self._cap.param_words

    @property
    def param_depth(self):
        """Parameter entries per core: one per channel group of a pass."""
        return self._cap.param_words

    @property
    def layer_groups(self):
        """Channel groups of the widest layer (a pass's first group is below it)."""
        return math.ceil(self._cap.max_channels / self.cores)

    @property
    def row_bytes(self):
        """Bytes of a weight row in the image: the P lanes' 5-bit codes."""
        return math.ceil(contract.CODE_BITS * self.cores / 8)

    @property
    def k_bits(self):
        """The k field of events and operations (``layouts.event_time_bits``)."""
        from .layouts import event_time_bits
        return event_time_bits(self.T, self.coding)

    @property
    def c_bits(self):
        return _bits(self._cap.max_channels - 1)

    @property
    def y_bits(self):
        return _bits(self._cap.max_map - 1)

    @property
    def x_bits(self):
        return _bits(self._cap.max_map - 1)

    @property
    def class_bits(self):
        return _bits(self._cap.max_channels - 1)

    @property
    def layer_bits(self):
        """Trace layer index: 0 = input, 1..max_layers = compute layers."""
        return _bits(self.max_layers)

    @property
    def input_shape(self):
        """The largest input map (C, H, W) the encoder counts."""
        return (self._cap.max_channels, self._cap.max_map, self._cap.max_map)

    def pass_descriptor_layout(self):
        from .processor_layouts import pass_descriptor_layout
        c = self._cap
        return pass_descriptor_layout(max_channels=c.max_channels, max_map=c.max_map,
                                      max_kernel=c.max_kernel, max_groups=self.max_groups,
                                      membrane_words=c.membrane_words,
                                      weight_words=c.weight_words)
