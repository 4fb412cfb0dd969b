"""The host side of the UART protocol (``HostProtocol``) and the board build's command line (no
place-and-route here: that is ``make bitstream``). The link's hardware is tested in
``tests/rtl/test_host_link.py``."""

import os

import numpy as np
import pytest

from gen.host_protocol import HostProtocol
from golden.contract import ContractError

#: a design of 4 cores with 400 weights and 300 parameter entries per core
DESIGN = {"cores": 4, "weight_depth": 400, "param_depth": 300}


def test_protocol_codec():
    proto = HostProtocol((1, 2, 2), 3, 20, **DESIGN)
    assert proto.score_bytes == 3
    assert proto.encode_infer(np.array([[[1, 2], [3, 255]]])) == bytes([0x49, 1, 2, 3, 255])
    frame = bytes([0x52]) + (-5).to_bytes(3, "little", signed=True) + \
        (7).to_bytes(3, "little", signed=True) + (0).to_bytes(3, "little", signed=True) + b"\x01"
    assert proto.decode_result(frame) == (1, [-5, 7, 0])
    with pytest.raises(ValueError):
        proto.decode_result(frame[:-1])
    with pytest.raises(ValueError):
        proto.encode_infer(np.zeros(5))
    assert proto.encode_load(2, 1, 0x123, -1) == bytes([0x4C, 2, 1, 0x23, 0x01, 0xFF, 0xFF, 0xFF])


def test_protocol_refuses_values_that_do_not_fit_their_field():
    """The hardware cuts a load's data to its field, so the host refuses what would be cut."""
    proto = HostProtocol((1, 2, 2), 3, 20, bias_bits=6, threshold_bits=5, **DESIGN)
    assert proto.encode_load(0, 1, 0, -32)[-3:] == (-32).to_bytes(3, "little", signed=True)
    assert proto.encode_load(0, 2, 0, 31)[-3:] == (31).to_bytes(3, "little", signed=True)
    with pytest.raises(ValueError, match=r"bias 32 does not fit bias_bits 6 \(-32..31\)"):
        proto.encode_load(0, 1, 0, 32)
    with pytest.raises(ValueError, match=r"threshold 32 outside 1..31 \(threshold_bits 5\)"):
        proto.encode_load(0, 2, 0, 32)
    with pytest.raises(ValueError, match="threshold 0 outside"):
        proto.encode_load(0, 2, 0, 0)
    with pytest.raises(ContractError, match="outside 0..31"):
        proto.encode_load(0, 0, 0, 32)
    with pytest.raises(ValueError, match="load target 3"):
        proto.encode_load(0, 3, 0, 1)


def test_protocol_refuses_loads_that_address_no_memory():
    """The hardware refuses them too (answers E), but nothing is sent."""
    proto = HostProtocol((1, 2, 2), 3, 20, **DESIGN)
    assert proto.encode_load(3, 0, 399, 0)[:5] == bytes([0x4C, 3, 0, 0x8F, 1])
    assert proto.encode_load(np.int64(3), 2, 299, 1)[:5] == bytes([0x4C, 3, 2, 0x2B, 1])
    with pytest.raises(ValueError, match=r"^load core 4 outside 0..3 \(P = 4\)$"):
        proto.encode_load(4, 0, 0, 0)
    with pytest.raises(ValueError, match=r"^load core -1 outside"):
        proto.encode_load(-1, 1, 0, 0)
    with pytest.raises(ValueError, match=r"^load addr 400 outside 0..399 \(depth of the weight "
                                         r"memory\)$"):
        proto.encode_load(0, 0, 400, 0)
    with pytest.raises(ValueError, match=r"^load addr 300 outside 0..299 \(depth of the parameter "
                                         r"memory \(per core\)\)$"):
        proto.encode_load(0, 2, 300, 1)
    with pytest.raises(ValueError, match=r"^load addr 65536 outside"):
        proto.encode_load(0, 1, 65536, 0)
    for target in (3, -1, 1.0, True, "1"):
        with pytest.raises(ValueError, match=r"^load target .* is not 0 \(weight\), 1 \(bias\) "
                                             r"or 2 \(threshold\)$"):
            proto.encode_load(0, target, 0, 0)
    with pytest.raises(ValueError, match=r"^load core '0' outside"):
        proto.encode_load("0", 0, 0, 0)
    unsized = HostProtocol((1, 2, 2), 3, 20)
    with pytest.raises(ValueError, match="encode_load needs the design's cores"):
        unsized.encode_load(0, 0, 0, 0)


@pytest.mark.parametrize("board", ["icebreaker", "ice40-hx8k-evn", "ulx3s-85f"])
def test_board_build_files(board, tmp_path):
    """Every board of constraints/targets.json elaborates on its platform (clock, UART and LED
    resources exist) and writes its build script and pin file; no place and route here."""
    from gen.board import build_board
    summary = build_board(board, "digits", 1, out=str(tmp_path), do_build=False)
    assert summary["board"] == board and summary["cores"] == 1
    names = os.listdir(tmp_path)
    assert any(n.startswith("build_snn_board") for n in names), names
    assert any(n.endswith((".pcf", ".lpf")) for n in names), names
