"""Parameter checks shared by the components: one precise error per bad parameter, raised in the
constructor (before anything is built)."""

from amaranth.hdl import Shape
from amaranth.lib import data

__all__ = ["integer", "struct", "fits"]


def integer(name, value, lo, hi=None):
    """``value`` when it is an integer in ``lo``..``hi`` (no upper bound when ``hi`` is None),
    else a ``ValueError`` naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or \
            (hi is not None and value > hi):
        span = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be an integer {'in ' if hi is not None else ''}{span}, "
                         f"not {value!r}")
    return value


def struct(name, layout, fields):
    """``layout`` when it is a ``data.StructLayout`` with (at least) the members ``fields``,
    else a ``TypeError`` naming the parameter and what is missing."""
    if not isinstance(layout, data.StructLayout):
        raise TypeError(f"{name} must be a data.StructLayout with fields {', '.join(fields)}, "
                        f"not {layout!r}")
    missing = [f for f in fields if f not in layout.members]
    if missing:
        raise TypeError(f"{name} lacks the field{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}")
    return layout


def fits(name, layout, field, most):
    """A ``ValueError`` unless ``layout``'s field ``field`` holds the values 0..``most``."""
    width = Shape.cast(layout.members[field]).width
    if most.bit_length() > width:
        raise ValueError(f"{name} field {field} ({width} bits) cannot hold {most}")
