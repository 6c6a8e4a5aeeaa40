"""A scenario file's problems: ``Problem`` (file, line, field, message) and ``ScenarioError``.

A problem reads ``file:line: field: message`` (``Problem.__str__``); ``_path``
writes the field path of a location (``groups[0].handling.mean``).  Part of
``simsla.io``, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file could not be loaded; ``problems`` says why, one by one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _path(loc: tuple) -> str:
    text = ""
    for x in loc:
        if isinstance(x, str) and not x.isprintable():
            text += f"[{x!r}]"  # a key with control characters: escaped, so that it cannot act on the terminal
        else:
            text += f"[{x}]" if isinstance(x, int) else (f".{x}" if text else str(x))
    return text
