"""The ``simsla`` console script: import the command line, run it, and keep Ctrl-C and SIGTERM quiet.

Importing the command line pulls in numpy, pandas and friends, which takes a
moment on a fresh install; a Ctrl-C during that moment would otherwise print
an import traceback.  This module is tiny so that the guard is in place first.

SIGTERM (``kill PID``, a service manager or a batch system stopping the job)
is handled like Ctrl-C: it raises :class:`Terminated`, a
``KeyboardInterrupt``, so every place that cleans up after Ctrl-C cleans up
after it too, and the command ends with one line and exit 143 (128 + 15)
instead of 130.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

#: exit status of a command stopped by Ctrl-C (128 + SIGINT)
EXIT_INTERRUPTED = 130
#: exit status of a command stopped by SIGTERM (128 + SIGTERM)
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM."""


#: after SIGTERM or Ctrl-C the command has this long to clean up before it ends regardless (results are
#: written atomically, so even then nothing half-written is left; service managers kill after 10-90 s)
HARD_STOP_AFTER = 8.0
_received: list[int] = []
_reported: list[bool] = []
_registered: list[bool] = []


def _raise_terminated(signum: int, frame: object) -> None:
    _hard_stop(signum, EXIT_TERMINATED)
    _received.append(signum)
    raise Terminated()


def _hard_stop(signum: int, status: int) -> None:
    """The first such signal: end the process after ``HARD_STOP_AFTER`` s whatever the clean-up is doing."""
    if signum not in _received:
        # clean-up could wait on something that never comes (a worker forked at the moment of the signal,
        # a task stuck in a pipe to a worker that is gone)
        stop = threading.Timer(HARD_STOP_AFTER, os._exit, (status,))
        stop.daemon = True
        stop.start()


def _interruption(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``exc``: itself, or what it was raised from (Python wraps some, e.g.
    an interrupt inside a class body's ``__set_name__`` becomes a RuntimeError)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _raise_interrupted(signum: int, frame: object) -> None:
    _hard_stop(signum, EXIT_INTERRUPTED)
    _received.append(signum)
    raise KeyboardInterrupt()


def handle_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` in this process (the command line's main thread only).

    SIGINT keeps raising ``KeyboardInterrupt`` (unless it is ignored, as for a
    background job) but is noted too, so that a Ctrl-C that reaches typer's own
    handling still ends with a line saying so.
    """
    signal.signal(signal.SIGTERM, _raise_terminated)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise_interrupted)
    if hasattr(os, "register_at_fork") and not _registered:
        os.register_at_fork(after_in_child=_worker_signals)
        _registered.append(True)


def _worker_signals() -> None:
    """In a forked worker, from its first moment: Ctrl-C is the command's to handle, SIGTERM simply ends it.

    (A worker that received the terminal's Ctrl-C before its pool initializer
    ran would otherwise print a traceback of this module's handler.)
    """
    if signal.getsignal(signal.SIGINT) is _raise_interrupted:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signal.getsignal(signal.SIGTERM) is _raise_terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def mark_reported() -> None:
    """The command has said on stderr that it was stopped (so :func:`run_app` need not)."""
    _reported.append(True)


def exit_status(exc: KeyboardInterrupt) -> int:
    """143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def main() -> None:
    """Run ``simsla`` with the arguments of this process."""
    handle_sigterm()
    try:
        from simsla.cli import app
    except BaseException as exc:
        stop = _interruption(exc)
        if stop is None:
            raise
        what = "terminated" if isinstance(stop, Terminated) else "interrupted"
        sys.stderr.write(f"{what} while starting; nothing was done\n")
        raise SystemExit(exit_status(stop)) from None
    run_app(app)


def run_app(app: Callable[[], object]) -> None:
    """Run the typer ``app``; a SIGTERM that reached typer's own Ctrl-C handling (exit 130) ends with 143."""
    try:
        app()
    except SystemExit as exc:
        if _received and exc.code in (EXIT_INTERRUPTED, EXIT_TERMINATED):  # typer ends a stray Ctrl-C silently
            terminated = _received[-1] == signal.SIGTERM
            if not _reported:
                sys.stderr.write("terminated\n" if terminated else "interrupted\n")
            raise SystemExit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED) from None
        raise
    except BaseException as exc:  # stopped outside the commands' own handling (typer building the command line)
        stop = _interruption(exc)
        if stop is None:
            raise
        sys.stderr.write(("terminated" if isinstance(stop, Terminated) else "interrupted") + "\n")
        raise SystemExit(exit_status(stop)) from None
