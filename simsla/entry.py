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

import signal
import sys
from collections.abc import Callable

#: exit status of a command stopped by Ctrl-C (128 + SIGINT)
EXIT_INTERRUPTED = 130
#: exit status of a command stopped by SIGTERM (128 + SIGTERM)
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM."""


_received: list[int] = []


def _raise_terminated(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Terminated()


def handle_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` in this process (the command line's main thread only)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def exit_status(exc: KeyboardInterrupt) -> int:
    """143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def main() -> None:
    """Run ``simsla`` with the arguments of this process."""
    handle_sigterm()
    try:
        from simsla.cli import app
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        sys.stderr.write(f"{what} while starting; nothing was done\n")
        raise SystemExit(exit_status(exc)) from None
    run_app(app)


def run_app(app: Callable[[], object]) -> None:
    """Run the typer ``app``; a SIGTERM that reached typer's own Ctrl-C handling (exit 130) ends with 143."""
    try:
        app()
    except SystemExit as exc:
        if _received and exc.code == EXIT_INTERRUPTED:
            sys.stderr.write("terminated\n")
            raise SystemExit(EXIT_TERMINATED) from None
        raise
