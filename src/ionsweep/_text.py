"""Text from outside (store attributes, labels, user input) made safe to print."""

from __future__ import annotations

__all__ = ["one_line"]


def one_line(text: object) -> str:
    """``text`` as one line a terminal shows literally: runs of whitespace (newlines too)
    become one space, other control characters (terminal escapes) their ``\\x..`` form."""
    text = " ".join(str(text).split())
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
