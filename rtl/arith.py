"""Arithmetic without multiplier blocks: products by constants as sums of shifted copies."""

__all__ = ["constant_product"]


def constant_product(value, factor):
    """``value * factor`` for a constant ``factor`` >= 0, as a sum of shifted copies of
    ``value`` (one per set bit of ``factor``): synthesis then builds adders, never a
    multiplier (Yosys maps a ``$mul`` even by a small constant to a DSP block on the ECP5)."""
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 0:
        raise ValueError(f"factor must be an integer >= 0, not {factor!r}")
    terms = [value << b for b in range(factor.bit_length()) if factor >> b & 1]
    total = terms[0] if terms else 0
    for t in terms[1:]:
        total = total + t
    return total
