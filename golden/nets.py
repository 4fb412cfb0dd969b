"""Where the shipped networks live, which they are, and how a name resolves to a file."""

import os

#: the repository's nets/ folder (beside golden/)
NETS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nets")
#: where training writes unless asked to replace a shipped network
BUILD_NETS_DIR = os.path.join(os.path.dirname(NETS_DIR), "build", "nets")
SHIPPED = ("digits", "mnist")

#: every shipped network, in regeneration order (a base before its variants): the one list that
#: training (``golden.train --all``) and the benchmarks (``bench.measure``) read
SHIPPED_ALL = (
    "digits", "digits-ttfs-t2", "digits-ttfs-t4", "digits-ttfs-t6", "digits-rate-t2",
    "digits-rate-t4", "digits-rate-t8", "digits-floor",
    "mnist", "mnist-ttfs-t2", "mnist-ttfs-t4", "mnist-ttfs-t6", "mnist-rate-t2",
    "mnist-rate-t4", "mnist-rate-t8",
    "mnist-conv4", "mnist-vgg11", "mnist-vgg16", "mnist-vgg16-ttfs-t2", "mnist-vgg16-ttfs-t4",
    "mnist-vgg16-rate-t2", "mnist-vgg16-rate-t4", "mnist-vgg16-rate-t8",
)


#: the VGG-16 hardware workload (random weights, not a classifier: golden.workload)
WORKLOAD = "vgg16-shape-random"
#: networks too large to ship, generated on first use into BUILD_NETS_DIR by golden.workload
GENERATED = (WORKLOAD,)


def resolve(name_or_path):
    """A shipped network name (``digits``) or a variant (``mnist-rate``) or a path to a file;
    a GENERATED name is generated on first use (or when its recipe changed) and resolves to
    its file in build/nets/."""
    p = str(name_or_path)
    if os.sep in p or p.endswith(".json"):
        return p
    if p in GENERATED:
        from .workload import ensure
        return ensure()
    return os.path.join(NETS_DIR, p + ".json")
