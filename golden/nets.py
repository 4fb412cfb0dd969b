"""Where the shipped networks live and how a name resolves to a file."""

import os

#: the repository's nets/ folder (beside golden/)
NETS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nets")
SHIPPED = ("digits", "mnist")


def resolve(name_or_path):
    """A shipped network name (``digits``) or a variant (``mnist-rate``) or a path to a file."""
    p = str(name_or_path)
    if os.sep in p or p.endswith(".json"):
        return p
    return os.path.join(NETS_DIR, p + ".json")
