import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from golden import contract as c


def test_code_roundtrip_and_values():
    for s in (0, 1):
        for e in range(15):
            code = int(c.encode_code(s, e))
            assert c.code_sign(code) == s and c.code_exponent(code) == e
            assert c.code_values(code) == (-1) ** s * 2 ** (14 - e)
    assert c.code_values(c.ZERO_CODE) == 0


@pytest.mark.parametrize("bad", [31, 32, -1])
def test_invalid_codes_are_refused(bad):
    with pytest.raises(c.ContractError):
        c.validate_codes(np.array([0, bad]))


def test_fire_rule_round_thresholds():
    T, theta = 4, 400
    # k = 0 at 3/4 theta, k = 1 at 3/8, k = 2 at 3/16, k = T-1 at 1/2 * 2^-(T-1)
    assert c.ttfs_fire(300, theta, T) == 0 and c.ttfs_fire(299, theta, T) == 1
    assert c.ttfs_fire(150, theta, T) == 1 and c.ttfs_fire(149, theta, T) == 2
    assert c.ttfs_fire(75, theta, T) == 2 and c.ttfs_fire(74, theta, T) == 3
    assert c.ttfs_fire(25, theta, T) == 3 and c.ttfs_fire(24, theta, T) == T
    assert c.ttfs_fire(-5, theta, T) == T


def test_fire_rule_floor():
    assert c.ttfs_fire(400, 400, 4, "floor") == 0
    assert c.ttfs_fire(399, 400, 4, "floor") == 1
    assert c.ttfs_fire(49, 400, 4, "floor") == 4


@given(st.integers(-10**6, 10**6), st.integers(1, 10**5), st.integers(1, 16),
       st.sampled_from(["round", "floor"]))
def test_ttfs_fire_is_nearest_level_below_saturation(u, theta, T, rule):
    """The fire rule is the TTFS quantiser of u / theta (round: nearest level; floor: the
    largest level not above)."""
    k = int(c.ttfs_fire(u, theta, T, rule))
    levels = [2.0 ** -j for j in range(T)] + [0.0]
    x = u / theta
    if rule == "floor":
        want = next(j for j, lv in enumerate(levels) if x >= lv or j == T)
    else:
        if x >= 1:
            want = 0
        else:
            want = min(range(T + 1), key=lambda j: (abs(levels[j] - x), -levels[j]))
            # ties go up (">=" in the rule): the larger level
    assert k == want


def test_rate_fire_and_input():
    assert list(c.rate_fire([-7, 0, 5, 10, 99], 5, 4)) == [0, 0, 1, 2, 4]
    x = np.arange(256)
    n = c.encode_input(x, 8, "rate")
    assert n[0] == 0 and n[255] == 8
    assert np.all(n == np.floor(x * 8 / 255 + 0.5))
    k = c.encode_input(x, 8, "ttfs")
    assert k[0] == 8 and k[255] == 0 and k[191] == 1 and k[192] == 0


def test_widths():
    assert c.signed_width(0) == 1 and c.signed_width(1) == 2 and c.signed_width(255) == 9
    assert c.min_frac_bits("ttfs", 8) == 21
    assert c.min_frac_bits("rate", 8, pooled_input=True) == 16
    assert c.time_bits(1) == 1 and c.time_bits(8) == 3 and c.time_bits(9) == 4


# -- time-stepped integrate-and-fire -------------------------------------------------------------

def test_if_step_spikes_once_and_subtracts():
    s, v = c.if_step([0, 5, 9, 30], [4, 4, 4, 4], 10)
    assert list(s) == [0, 0, 1, 1] and list(v) == [4, 9, 3, 24]
    assert c.if_initial_membrane(np.array([2, 10, 400])).tolist() == [1, 5, 200]


def test_input_encoder_counts_equal_the_count_scheme_input():
    """The IF encoder (threshold 510, start 255, current 2x) has spiked encode_input(x, t) times
    after every step t, once per step at most, for every pixel value and t up to T_MAX."""
    x = np.arange(256)
    v = np.full(256, c.if_initial_membrane(c.IF_INPUT_THETA))
    total = np.zeros(256, dtype=np.int64)
    for t in range(1, c.T_MAX + 1):
        s, v = c.if_step(v, c.if_input_current(x), c.IF_INPUT_THETA)
        assert set(np.unique(s)) <= {0, 1}
        total += s
        assert np.array_equal(total, c.encode_input(x, t, "rate")), f"step {t}"


def test_if_input_current_refuses_bad_pixels():
    with pytest.raises(c.ContractError, match="outside 0..255"):
        c.if_input_current([0, 256])
