"""What the component benches share: the ``Bench`` record, seeded streams, a config stand-in."""


from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

__all__ = ["Bench", "event_config"]


@dataclass(frozen=True)
class Bench:
    name: str
    build: object      # (seed, **opts) -> (component, params)
    body: object       # async (io, params) -> stats dict
    clocked: bool = True


def _rng(seed, stream):
    return np.random.default_rng([int(seed), stream])


def event_config(*, c_bits=4, y_bits=3, x_bits=3, T=8, coding="ttfs"):
    """The fields of a config that ``rtl.layouts.event_layout`` reads."""
    from rtl.layouts import event_time_bits
    return SimpleNamespace(c_bits=c_bits, y_bits=y_bits, x_bits=x_bits, T=T, coding=coding,
                           k_bits=event_time_bits(T, coding))
