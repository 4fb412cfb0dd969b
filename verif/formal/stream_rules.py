"""The valid/ready rules of one ``lib.stream`` stream, as formal properties."""

from amaranth.hdl import Assert, Assume, Format, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["StreamRules", "PRODUCER", "ENVIRONMENT"]

#: the design under test drives valid and payload: the rules are asserted
PRODUCER = "producer"
#: the environment drives them: the rules are assumed (they constrain the free inputs)
ENVIRONMENT = "environment"


class StreamRules(wiring.Component):
    """Watches one stream (``valid``, ``ready`` and ``payload`` are all inputs: it only
    observes) and states the rules of
    ``lib.stream``: once ``valid`` is high, it stays high, and ``payload`` stays unchanged, until
    a cycle with ``ready`` high (the transfer).

    ``role``: ``PRODUCER`` asserts the rules (the design drives the stream), ``ENVIRONMENT``
    assumes them (the harness's free inputs drive it). The rules hold across clock cycles with
    no reset in between: the monitor's register is in the ``sync`` domain, so a reset forgets a
    pending offer (a reset may withdraw it). ``transfer`` (out) is ``valid & ready``.
    """

    def __init__(self, payload_shape, *, role, name):
        if role not in (PRODUCER, ENVIRONMENT):
            raise ValueError(f"role must be {PRODUCER!r} or {ENVIRONMENT!r}, not {role!r}")
        self._role = role
        self._name = name
        super().__init__({
            "valid": In(1), "ready": In(1), "payload": In(payload_shape),
            "transfer": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        s = self
        rule = Assert if self._role == PRODUCER else Assume
        # the last cycle offered without a transfer, and what it offered
        waiting = Signal(name=f"{self._name}_waiting")
        offered = Signal.like(s.payload, name=f"{self._name}_offered")
        m.d.sync += [waiting.eq(s.valid & ~s.ready), offered.eq(s.payload)]
        m.d.comb += self.transfer.eq(s.valid & s.ready)
        with m.If(waiting):
            m.d.comb += [
                rule(s.valid, Format("{}: valid fell before ready", self._name)),
                rule(Value.cast(s.payload) == Value.cast(offered),
                     Format("{}: payload changed before ready", self._name)),
            ]
        return m
