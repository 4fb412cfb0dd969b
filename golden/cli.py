"""Conventions shared by every command-line entry point: bad input gets one line, never a traceback.

Every ``python -m ...`` tool of the project parses its options with :class:`ArgumentParser`
and reports a refused input with :func:`fail`: one line ``<prog>: error: <reason>`` on stderr
and exit status 2, before anything is written (the tools write through ``golden.files``, so a
failure later on leaves no partial output either). A tool's ``main`` catches the project's own
error classes (``NetworkError``, ``ConfigError``, ``EvalError``, ...) and ``OSError`` on its
output paths; anything else is a bug and keeps its traceback.

The option types (:func:`count`, :func:`fraction`, :func:`existing_dir`) refuse a bad value
while the options are parsed, so the message names the option (``argument --limit: must be an
integer >= 1, got '-5'``).
"""

import argparse
import errno
import math
import os
import sys

__all__ = ["ArgumentParser", "count", "fraction", "existing_dir", "reason", "fail",
           "check_output"]


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors are one line: ``prog: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def count(lo=1, hi=None):
    """Option type: an integer in ``lo..hi`` (``hi`` None: no upper bound)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or v < lo or (hi is not None and v > hi):
            want = f">= {lo}" if hi is None else f"in {lo}..{hi}"
            raise argparse.ArgumentTypeError(f"must be an integer {want}, got {text!r}")
        return v
    parse.__name__ = "count"
    return parse


def fraction(text):
    """Option type: a number in (0, 1]."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not 0 < v <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}")
    return v


def existing_dir(text):
    """Option type: the path of an existing folder."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return text


def reason(exc):
    """One line saying why ``exc`` happened (an ``OSError`` names its path)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = f"{where}: {exc.strerror}" if where else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    lines = text.strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def fail(prog, problem):
    """Print ``prog: error: <problem>`` (an exception or a text) on stderr; returns 2."""
    text = reason(problem) if isinstance(problem, BaseException) else str(problem)
    print(f"{prog}: error: {text}", file=sys.stderr)
    return 2


def check_output(path):
    """Raise ``OSError`` now, before a long job, if the file or folder ``path`` cannot be made.

    Walks up to the nearest existing ancestor; it must be a folder the process may write to.
    Nothing is created.
    """
    path = os.path.abspath(os.fspath(path))
    probe = os.path.dirname(path)
    while not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), probe)
