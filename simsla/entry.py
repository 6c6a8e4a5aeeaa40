"""The ``simsla`` console script: import the command line, run it, and keep Ctrl-C quiet.

Importing the command line pulls in numpy, pandas and friends, which takes a
moment on a fresh install; a Ctrl-C during that moment would otherwise print
an import traceback.  This module is tiny so that the guard is in place first.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``simsla`` with the arguments of this process."""
    try:
        from simsla.cli import app
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting; nothing was done\n")
        raise SystemExit(130) from None
    app()
