"""Host side of the UART protocol of ``rtl.host_link.HostLink`` (``docs/host_protocol.md``):
encodes commands, checks them against the design, decodes the board's answers."""

import numbers

from golden import contract
from rtl.host_link import CMD_INFER, CMD_LOAD, RSP_ACK, RSP_RESULT, score_bytes
from rtl.layouts import LoadTarget

__all__ = ["HostProtocol"]


def _not_int(v):
    return isinstance(v, bool) or not isinstance(v, numbers.Integral)


class HostProtocol:
    """Host side of the protocol for one network: encodes commands, decodes answers.

    ``port`` (optional) is any object with ``write(bytes)`` and ``read(n) -> bytes`` (e.g. a
    ``serial.Serial`` at 115200 baud); ``infer`` and ``load`` then run a whole exchange.
    """

    def __init__(self, input_shape, classes, membrane_bits, port=None, *, bias_bits=None,
                 threshold_bits=None, cores=None, weight_depth=None, param_depth=None):
        self.input_shape = tuple(input_shape)
        self.classes = classes
        self.score_bytes = score_bytes(membrane_bits)
        self.bias_bits = membrane_bits if bias_bits is None else bias_bits
        self.threshold_bits = membrane_bits - 1 if threshold_bits is None else threshold_bits
        self.cores = cores
        self.depths = {LoadTarget.WEIGHT: weight_depth, LoadTarget.BIAS: param_depth,
                       LoadTarget.THRESHOLD: param_depth}
        self.port = port

    @classmethod
    def for_config(cls, config, port=None):
        return cls(config.network.input_shape, config.network.classes, config.membrane_bits,
                   port, bias_bits=config.bias_bits, threshold_bits=config.threshold_bits,
                   cores=config.cores, weight_depth=config.weight_depth,
                   param_depth=config.param_depth)

    @property
    def npix(self):
        c, h, w = self.input_shape
        return c * h * w

    @property
    def result_len(self):
        return 1 + self.classes * self.score_bytes + 1

    def encode_infer(self, image):
        import numpy as np
        img = np.asarray(image)
        if img.size != self.npix:
            raise ValueError(f"image has {img.size} pixels, the network takes {self.npix}")
        if img.min() < 0 or img.max() > 255:
            raise ValueError("pixels must be uint8 (0..255)")
        return bytes([CMD_INFER]) + bytes(img.astype("uint8").reshape(-1).tolist())

    def decode_result(self, data):
        """``(prediction, [scores])`` from the board's answer to an infer command."""
        data = bytes(data)
        if len(data) != self.result_len or data[0] != RSP_RESULT:
            raise ValueError(f"bad result frame ({len(data)} bytes, expected {self.result_len} "
                             f"starting with 0x{RSP_RESULT:02x})")
        sb = self.score_bytes
        scores = [int.from_bytes(data[1 + i * sb:1 + (i + 1) * sb], "little", signed=True)
                  for i in range(self.classes)]
        return data[-1], scores

    def encode_load(self, core, target, addr, value):
        """The bytes of a load command. A load that addresses no memory (``core`` >= P, an
        unknown ``target``, ``addr`` >= the target memory's depth) is refused, as the hardware
        would refuse it, and so is a value that does not fit its field (the hardware would cut
        it): ``ValueError`` naming the field."""
        if self.cores is None or None in self.depths.values():
            raise ValueError("encode_load needs the design's cores, weight_depth and "
                             "param_depth (HostProtocol.for_config, or manifest.json)")
        if _not_int(target) or target not in self.depths:
            raise ValueError(f"load target {target!r} is not {LoadTarget.WEIGHT.value} (weight), "
                             f"{LoadTarget.BIAS.value} (bias) or {LoadTarget.THRESHOLD.value} "
                             "(threshold)")
        if _not_int(core) or not 0 <= core < self.cores:
            raise ValueError(f"load core {core!r} outside 0..{self.cores - 1} (P = {self.cores})")
        depth = self.depths[target]
        if _not_int(addr) or not 0 <= addr < depth:
            memory = ("weight memory" if target == LoadTarget.WEIGHT
                      else "parameter memory (per core)")
            raise ValueError(f"load addr {addr!r} outside 0..{depth - 1} (depth of the "
                             f"{memory})")
        value = int(value)
        if target == LoadTarget.WEIGHT:
            contract.validate_codes(value, "weight code")
        elif target == LoadTarget.BIAS:
            lo, hi = -(1 << (self.bias_bits - 1)), (1 << (self.bias_bits - 1)) - 1
            if not lo <= value <= hi:
                raise ValueError(f"bias {value} does not fit bias_bits {self.bias_bits} "
                                 f"({lo}..{hi})")
        else:
            hi = (1 << self.threshold_bits) - 1
            if not 1 <= value <= hi:
                raise ValueError(f"threshold {value} outside 1..{hi} (threshold_bits "
                                 f"{self.threshold_bits})")
        sb = self.score_bytes
        return (bytes([CMD_LOAD, core, target]) + int(addr).to_bytes(2, "little") +
                int(value).to_bytes(sb, "little", signed=True))

    def infer(self, image):
        self.port.write(self.encode_infer(image))
        return self.decode_result(self.port.read(self.result_len))

    def load(self, core, target, addr, value):
        self.port.write(self.encode_load(core, target, addr, value))
        ack = self.port.read(1)
        if ack != bytes([RSP_ACK]):
            raise OSError(f"load not acknowledged (got {ack!r})")
