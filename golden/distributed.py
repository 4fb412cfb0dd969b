"""Device choice and data parallelism for ``golden.train`` (torch).

Under ``torchrun`` (``WORLD_SIZE`` > 1) every process joins the default process group (NCCL on
CUDA, gloo on CPU), wraps the model in ``DistributedDataParallel`` and trains on its share of
each minibatch; process 0 evaluates and writes the files. Alone, nothing is wrapped.
"""

import os
from dataclasses import dataclass

import torch

__all__ = ["DeviceError", "Dist", "setup", "pick_device"]


class DeviceError(ValueError):
    """A device that is not present (one-line message)."""


def pick_device(name):
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (CUDA when present) -> torch.device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"--device {name!r} is not a device (cpu, cuda, cuda:N, auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"--device {name}: no CUDA device here (use cpu or auto)")
    if dev.type not in ("cpu", "cuda"):
        raise DeviceError(f"--device {name}: only cpu and cuda are supported")
    return dev


@dataclass
class Dist:
    device: torch.device
    rank: int = 0
    world: int = 1

    @property
    def main(self):
        return self.rank == 0

    def wrap(self, model):
        """The model as the training loop calls it (DDP across processes)."""
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def tensor(self, array, dtype=torch.float32):
        return torch.as_tensor(array, dtype=dtype).to(self.device)

    def finish(self):
        if self.world > 1 and torch.distributed.is_initialized():
            torch.distributed.barrier()


def setup(device="cpu"):
    """Join the torchrun process group when there is one; returns a Dist."""
    dev = pick_device(device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist(dev)
    import torch.distributed as td
    if not td.is_initialized():
        td.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    rank = td.get_rank()
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
        torch.cuda.set_device(dev)
    return Dist(dev, rank, td.get_world_size())
