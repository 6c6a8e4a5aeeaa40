"""Text from users shown safely: control characters made visible in the terminal.

Names, file contents, column values and paths can carry bytes that a
terminal obeys instead of showing: ESC starts an escape sequence (colours,
cursor moves, window titles, even clipboard writes), CR and BS overwrite what
was printed, C1 codes (U+0080-U+009F) are escape sequences of their own on
some terminals, and the Unicode bidirectional overrides and isolates
(U+202A-U+202E, U+2066-U+2069) reorder what a reader sees.  ``visible``
replaces each of them by its Python escape (``\\x1b``, ``\\u202e``), so the
message still says which character was there.  Newlines and tabs are kept:
they are how multi-line messages and tables are laid out.

``VisibleRenderHook`` applies the same rule to everything a rich ``Console``
prints, after rich has laid it out and before it styles it, so a table cell or
a message that did not pass through ``visible`` is still made safe (the
escapes are longer than the characters they stand for, so such a line may
come out a few columns wider than planned).
"""

from __future__ import annotations

import re
from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.segment import Segment

#: C0 controls except tab and newline, DEL, C1 controls, and the bidi marks, embeddings, overrides and isolates
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: the same without tab and newline, for text that must stay on one line
UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """``str(text)`` with every control character shown as its escape (``ESC`` becomes ``\\x1b``).

    Parameters
    ----------
    text
        Anything; it is converted with ``str``.
    one_line
        Also escape newlines and tabs (for a name or a value inside a line).

    Returns
    -------
    str
        The text, safe to print on a terminal; unchanged when it holds no control character.
    """
    s = str(text)
    return (UNSAFE_ONE_LINE if one_line else UNSAFE).sub(_escape, s)


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character that ``visible`` would escape (tab and newline are safe)."""
    return UNSAFE.search(text) is not None


class _Visible:
    """A renderable that renders another and makes its text segments visible (control segments pass)."""

    def __init__(self, inner: RenderableType):
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or not UNSAFE.search(segment.text):
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style, segment.control)


class VisibleRenderHook(RenderHook):
    """A rich render hook that makes every printed text segment visible; see the module docstring."""

    def process_renderables(self, renderables: list[RenderableType]) -> list[RenderableType]:
        return [_Visible(r) for r in renderables]


def guard(console: Console) -> Console:
    """Install a ``VisibleRenderHook`` on ``console`` and return it (call once per console)."""
    console.push_render_hook(VisibleRenderHook())
    return console


def visible_tree(value: Any) -> Any:
    """``value`` (dicts, lists and tuples of strings, numbers, None) with every string, key or value, made
    ``visible`` on one line; for a summary whose names came from a scenario file before they are laid out."""
    if isinstance(value, str):
        return visible(value, one_line=True)
    if isinstance(value, dict):
        return {visible_tree(k): visible_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(visible_tree(v) for v in value)
    return value
