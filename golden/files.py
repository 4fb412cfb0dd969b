"""Atomic file output: a reader never sees a half-written file, and a failure leaves none.

Every module that writes a result (network files, Verilog, reports, statistics) goes through
these helpers, so the "no partial output" promise of the command-line tools holds in one place.
Files are created with mode 0644 less the process umask (``tempfile.mkstemp`` alone would leave
them 0600).
"""

import contextlib
import os
import shutil
import tempfile

__all__ = ["atomic_write", "atomic_path", "atomic_directory"]


def _umask_mode(mode):
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


@contextlib.contextmanager
def atomic_path(path, *, suffix=None):
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    For writers that take a file name (``numpy.savez``, ``Figure.savefig``, a tool's output
    option). ``suffix`` keeps the extension such writers look at (default: that of ``path``).
    If the block raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    if suffix is None:
        suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode(0o644))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path, content):
    """Write ``content`` (``str`` or ``bytes``) to ``path`` atomically, creating its folder."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)


@contextlib.contextmanager
def atomic_directory(path):
    """Yield a temporary folder beside ``path``; on success it replaces the folder ``path``.

    For outputs made of several files (a design: Verilog, memory images, manifest) that must
    appear together or not at all. If the block raises, the temporary folder is removed and
    ``path`` is left as it was. A previous ``path`` is replaced whole, so files of an older
    output that the new one does not write do not linger.
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-")
    try:
        yield tmp
        os.chmod(tmp, _umask_mode(0o755))
        old = None
        if os.path.lexists(path):
            old = tempfile.mkdtemp(dir=parent, prefix=".old-")
            os.rmdir(old)
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
