"""A network's image for a processor capacity: ``network.img`` and its ``summary.json``.

``python -m gen --net NAME --image --preset PRESET [--out DIR]`` writes, into DIR (default
``build/<net>-<preset>``):

- ``network.img``: the bytes of ``golden.image.write_image`` (layout in that module);
- ``summary.json``: the network, the capacity, the image's size and SHA-256, the pass plan per
  layer and the bytes the processor reads per inference at the capacity's data width, in
  total and per kind of request (header, input, descriptors, params, weights).

Both files are complete before either is written, and each is written atomically
(``golden.files.atomic_write``); a network that does not fit writes nothing.
"""

import hashlib
import json
import os

from golden.capacity import plan
from golden.files import atomic_write
from golden.image import read_requests, write_image

__all__ = ["IMAGE_FILE", "SUMMARY_FILE", "summary", "write_network_image"]

IMAGE_FILE = "network.img"
SUMMARY_FILE = "summary.json"


def summary(network, capacity, data):
    """JSON-ready description of the image ``data`` of ``network`` on ``capacity``."""
    beat = capacity.beat_bytes
    reqs = read_requests(network, capacity)
    by_kind = {}
    for r in reqs:
        by_kind[r.what] = by_kind.get(r.what, 0) + r.bytes(beat)
    layers = []
    for lp in plan(network, capacity):
        mine = [r for r in reqs if r.layer == lp.index]
        layers.append({
            "layer": lp.index + 1, "kind": lp.kind, "groups": lp.groups,
            "groups_per_pass": lp.groups_per_pass, "passes": lp.passes, "limit": lp.limit,
            "positions": lp.positions, "fan_in": lp.fan_in,
            "bytes_read": sum(r.bytes(beat) for r in mine)})
    return {
        "network": network.name, "preset": capacity.name, "capacity": capacity.as_dict(),
        "image": IMAGE_FILE, "image_bytes": len(data),
        "image_sha256": hashlib.sha256(data).hexdigest(),
        "passes": [layer["passes"] for layer in layers], "layers": layers,
        "bytes_read": {"data_bits": capacity.data_bits, "requests": len(reqs),
                       "total": sum(by_kind.values()),
                       **{kind: by_kind.get(kind, 0)
                          for kind in ("header", "input", "descriptor", "params", "weights")}},
    }


def write_network_image(network, capacity, out_dir):
    """Write ``network.img`` and ``summary.json`` into ``out_dir``; returns the summary.
    ``DoesNotFit`` (nothing written) when the network does not fit the capacity."""
    data = write_image(network, capacity)
    info = summary(network, capacity, data)
    text = json.dumps(info, indent=1, sort_keys=True) + "\n"
    atomic_write(os.path.join(out_dir, IMAGE_FILE), data)
    atomic_write(os.path.join(out_dir, SUMMARY_FILE), text)
    return info
