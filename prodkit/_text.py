"""Text from outside prodkit (registry names, notebook paths) made safe to show in a terminal."""

from __future__ import annotations

import unicodedata


def printable(value: object) -> str:
    """`value` as one line a terminal shows as it is: control and format characters (ESC sequences,
    newlines, bidi overrides, zero-width spaces) become visible escapes like `\\x1b` or `\\u202e`,
    and Rich markup brackets are escaped. `None` is `-`."""
    if value is None:
        return "-"
    from rich.markup import escape

    text = "".join(_escaped(c) for c in str(value))
    return escape(text)


def _escaped(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
