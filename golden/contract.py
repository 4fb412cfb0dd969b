"""The numeric contract shared by the golden model, the training code, the generator and the RTL.

Every formula of DESIGN.md section 2 lives here and only here; everything else imports it.

Weights are 5-bit codes: bit 4 is the sign ``s``, bits 3..0 the exponent ``e``. The code stands for
``(-1)^s * alpha * 2^-e`` for ``e`` in 0..14; ``e = 15`` is zero and must have ``s = 0``.

TTFS spikes are events ``(neuron, k)``, ``k`` in ``0..T-1``, worth ``lambda * 2^-k``. Rate spikes
are counts ``n`` in ``0..T`` (events at ``t = 0..n-1``), each worth ``lambda``.

A synaptic event adds ``(s ? -1 : +1) << (F - e - k - pool_shift)`` to an integer membrane,
where ``pool_shift`` is 2 for a rate-coded layer that consumes an average-pooled map (the /4 of
the average pool is exact in the exponent) and 0 otherwise; rate coding uses ``k = 0``.
"""

import numpy as np

__all__ = [
    "CODE_BITS", "EXP_MAX", "ZERO_EXP", "ZERO_CODE", "CODINGS", "FIRE_RULES", "INPUT_THETA",
    "T_MAX", "ContractError",
    "encode_code", "code_sign", "code_exponent", "validate_codes", "code_values",
    "min_frac_bits", "synapse_shift", "synaptic_increment", "ttfs_c4", "ttfs_fire", "rate_fire",
    "fire",
    "rate_initial_membrane", "membrane_bound", "signed_width", "unsigned_width",
    "encode_input", "spike_value", "time_bits",
    "IF_INPUT_THETA", "if_initial_membrane", "if_step", "if_input_current", "ANALOG_INPUT_SCALE",
]

CODE_BITS = 5
#: largest exponent that encodes a non-zero weight
EXP_MAX = 14
#: the exponent that encodes zero
ZERO_EXP = 15
ZERO_CODE = ZERO_EXP  # s = 0, e = 15
CODINGS = ("ttfs", "rate")
FIRE_RULES = ("round", "floor")
#: the input layer fires with U = pixel and this threshold (lambda_0 = 1)
INPUT_THETA = 255
#: the largest number of time steps the contract supports (spike time fits 4 bits)
T_MAX = 16


class ContractError(ValueError):
    """A value that breaks the numeric contract (bad code, width overflow, bad parameter)."""


# -- weight codes --------------------------------------------------------------------------------

def encode_code(sign, exponent):
    """Pack sign (0/1) and exponent (0..15) arrays into 5-bit codes, validating them."""
    sign = np.asarray(sign, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    code = (sign << 4) | exponent
    validate_codes(code)
    return code


def code_sign(code):
    return (np.asarray(code, dtype=np.int64) >> 4) & 1


def code_exponent(code):
    return np.asarray(code, dtype=np.int64) & 0xF


def validate_codes(code, what="weight code"):
    """Raise ContractError naming the first invalid code (out of 0..31, or s=1 with e=15)."""
    code = np.asarray(code, dtype=np.int64)
    bad = (code < 0) | (code > 31)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ContractError(f"{what} at index {idx} is {int(code[idx])}, outside 0..31")
    neg_zero = code == (16 | ZERO_EXP)
    if neg_zero.any():
        idx = tuple(int(i) for i in np.argwhere(neg_zero)[0])
        raise ContractError(f"{what} at index {idx} is invalid: s=1 with e=15 (negative zero)")
    return code


def code_values(code, scale_exp=EXP_MAX):
    """Integer value of each code in units of 2^-scale_exp: +-2^(scale_exp - e), 0 for e = 15."""
    code = np.asarray(code, dtype=np.int64)
    e = code_exponent(code)
    mag = np.where(e == ZERO_EXP, 0, np.left_shift(1, np.maximum(scale_exp - e, 0)))
    return np.where(code_sign(code) == 1, -mag, mag)


# -- time and fraction bits ----------------------------------------------------------------------

def time_bits(T):
    """Width of a spike-time field k in 0..T-1 (at least 1 bit)."""
    return max(1, (T - 1).bit_length())


def min_frac_bits(coding, T, pooled_input=False):
    """Smallest F for which every synaptic product is an exact integer.

    TTFS: F >= 14 + (T - 1). Rate: F >= 14, plus 2 when the layer reads an average-pooled map.
    """
    if coding == "ttfs":
        return EXP_MAX + (T - 1)
    return EXP_MAX + (2 if pooled_input else 0)


def synapse_shift(exponent, k, F, pool_shift=0):
    """Shift amount F - e - k - pool_shift of a synaptic event (only meaningful when e != 15)."""
    return F - np.asarray(exponent, dtype=np.int64) - np.asarray(k, dtype=np.int64) - pool_shift


def synaptic_increment(code, k, F, pool_shift=0):
    """Membrane increment of an event at time k through weight code(s):
    ``(s ? -1 : +1) << (F - e - k - pool_shift)``, 0 for e = 15."""
    e = code_exponent(code)
    sign = np.where(code_sign(code) == 1, -1, 1)
    shift = np.maximum(synapse_shift(e, k, F, pool_shift), 0)
    return np.where(e == ZERO_EXP, 0, sign * np.left_shift(1, shift))


def spike_value(k, T, coding):
    """Value of a spike in units of 2^-(T-1) of lambda (TTFS) or of lambda (rate count)."""
    k = np.asarray(k, dtype=np.int64)
    if coding == "ttfs":
        return np.where(k >= T, 0, np.left_shift(1, np.maximum(T - 1 - k, 0)))
    return k  # rate: k holds the spike count


# -- fire rules ----------------------------------------------------------------------------------

def ttfs_c4(T, rule="round"):
    """Threshold multipliers c4[k] (in quarters of Theta * 2^-k) of the TTFS fire rule."""
    if rule not in FIRE_RULES:
        raise ContractError(f"fire rule {rule!r} is not one of {', '.join(FIRE_RULES)}")
    if rule == "floor":
        return [4] * T
    return [3] * (T - 1) + [2]


def ttfs_fire(U, theta, T, rule="round"):
    """First spike time k* = min{k : 4 * (U << k) >= c4[k] * Theta}; T means no spike.

    ``U`` and ``theta`` broadcast (theta is per output channel in general).
    """
    U = np.asarray(U, dtype=np.int64)
    theta = np.asarray(theta, dtype=np.int64)
    c4 = ttfs_c4(T, rule)
    out = np.full(np.broadcast(U, theta).shape, T, dtype=np.int64)
    for k in range(T - 1, -1, -1):
        out = np.where(4 * (U << k) >= c4[k] * theta, k, out)
    return out


def rate_fire(U, theta, T):
    """Spike count N = clip(floor(U / Theta), 0, T) (floor towards minus infinity)."""
    U = np.asarray(U, dtype=np.int64)
    theta = np.asarray(theta, dtype=np.int64)
    return np.clip(np.floor_divide(U, theta), 0, T)


def fire(U, theta, T, coding, rule="round"):
    """Spike time (TTFS, T = none) or spike count (rate) of membranes U at the end of a layer."""
    if coding == "ttfs":
        return ttfs_fire(U, theta, T, rule)
    return rate_fire(U, theta, T)


def rate_initial_membrane(bias, theta, T):
    """Rate-coding membrane start value Theta/2 + T * B (the fire unit adds it at fire time)."""
    return np.asarray(theta, dtype=np.int64) // 2 + T * np.asarray(bias, dtype=np.int64)


# -- input encoder -------------------------------------------------------------------------------

def encode_input(pixels, T, coding, rule="round"):
    """uint8 pixels to input spikes: TTFS first-spike time (T = no spike), or rate count.

    TTFS applies the fire rule with U = x and Theta = 255. Rate coding QCFS-quantises x / 255
    with lambda = 1: n = floor(x * T / 255 + 1/2), computed as floor((2 x T + 255) / 510).
    """
    x = np.asarray(pixels, dtype=np.int64)
    if (x < 0).any() or (x > 255).any():
        raise ContractError("input pixel outside 0..255")
    if coding == "ttfs":
        return ttfs_fire(x, INPUT_THETA, T, rule)
    return (2 * x * T + INPUT_THETA) // (2 * INPUT_THETA)


# -- widths --------------------------------------------------------------------------------------

def membrane_bound(fan_in, F, max_abs_bias, max_theta, T, coding):
    """Largest |U| a layer can reach: fan_in * 2^F (* T events per input in rate coding) + bias
    term + Theta (the fire unit compares 4 * (U << k) with c4 * Theta, which the width must also
    hold)."""
    per_input = (1 << F) * (T if coding == "rate" else 1)
    bias_term = max_abs_bias * (T if coding == "rate" else 1)
    return fan_in * per_input + bias_term + max_theta


def signed_width(bound):
    """Two's-complement width that holds -bound..bound."""
    return int(bound).bit_length() + 1


def unsigned_width(bound):
    return max(1, int(bound).bit_length())


# -- time-stepped integrate-and-fire (QCFS's converted SNN; golden.timestep) ---------------------
#
# The time-stepped SNN of Bu et al. (QCFS, ICLR 2022) runs every layer one time step at a time:
# an IF neuron starts at Theta/2, adds its input current (bias B per step plus the increments of
# the events of that step) at every step, spikes when the membrane reaches Theta and then
# subtracts Theta (reset by subtraction). It spikes at most once per step.

#: threshold of the input encoder's IF neuron, in half pixel units (Theta_in = 2 * 255, so that
#: its initial membrane Theta_in / 2 = 255 is an integer)
IF_INPUT_THETA = 2 * INPUT_THETA
#: the first layer with analog (constant-current) input carries membrane, bias and threshold
#: multiplied by this, so that the per-step current sum(W * x / 255) is an integer
ANALOG_INPUT_SCALE = INPUT_THETA


def if_initial_membrane(theta):
    """Initial membrane Theta/2 of a time-stepped IF neuron (Theta is even in rate coding)."""
    return np.asarray(theta, dtype=np.int64) // 2


def if_step(v, current, theta):
    """One time step of IF neurons: ``v += current``; spike where ``v >= Theta``; there
    ``v -= Theta`` (reset by subtraction). Returns (spikes 0/1, new v), both int64."""
    v = np.asarray(v, dtype=np.int64) + np.asarray(current, dtype=np.int64)
    theta = np.asarray(theta, dtype=np.int64)
    spikes = (v >= theta).astype(np.int64)
    return spikes, v - spikes * theta


def if_input_current(pixels):
    """Per-step current 2 x of the input encoder's IF neuron of pixel x (threshold
    IF_INPUT_THETA, initial membrane IF_INPUT_THETA / 2): after t steps it has spiked
    ``encode_input(x, t, "rate")`` = floor(x t / 255 + 1/2) times, once per step at most."""
    x = np.asarray(pixels, dtype=np.int64)
    if (x < 0).any() or (x > 255).any():
        raise ContractError("input pixel outside 0..255")
    return 2 * x
