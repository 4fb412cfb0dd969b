"""The sequencer's products in the processor's cycle model (``golden.processor_cycles``); the
model itself is checked cycle by cycle against the RTL in tests/rtl/test_processor_core.py."""

import pytest

from golden.capacity import PRESETS, with_changes
from golden.processor_cycles import SEQUENCER_PRODUCTS, operand_bounds, product_cycles


def test_every_operand_has_a_bound():
    """(A multiplicand may be an earlier product: its bound is the product of its operands'.)"""
    bounds = operand_bounds(PRESETS["vgg16"])
    done = set()
    for stage in SEQUENCER_PRODUCTS.values():
        for name, a, b in stage:
            assert a in bounds and b in bounds, name
            if a in done:
                operands = next((x, y) for n, x, y in sum(SEQUENCER_PRODUCTS.values(), ())
                                if n == a)
                assert bounds[a] == bounds[operands[0]] * bounds[operands[1]], name
            done.add(name)


@pytest.mark.parametrize("preset,cycles", [("ice40-digits", (9, 27, 4)),
                                           ("ecp5-mnist", (12, 29, 3)),
                                           ("vgg16", (16, 39, 5))])
def test_product_cycles_of_the_presets(preset, cycles):
    """A product costs its multiplier operand's width: e.g. ice40-digits' header: H * W (W up
    to 8: 4 bits), then C * (H * W) (C up to 16: 5 bits)."""
    cap = PRESETS[preset]
    assert tuple(product_cycles(cap, s) for s in ("header", "layer", "pass")) == cycles


def test_product_cycles_follow_the_bounds():
    """One more bit of param_words adds a cycle to each of the four gpp products (three per
    layer, one per pass)."""
    cap = PRESETS["ice40-digits"]
    wider = with_changes(cap, param_words=2 * cap.param_words)
    assert product_cycles(wider, "layer") == product_cycles(cap, "layer") + 3
    assert product_cycles(wider, "pass") == product_cycles(cap, "pass") + 1
    assert product_cycles(wider, "header") == product_cycles(cap, "header")
