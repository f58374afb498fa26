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

    return escape(visible(value))


def visible(value: object) -> str:
    """`value` as one line whose control and format characters are visible escapes, as in
    `printable`, but with Rich markup left as it is: for plain text and for Rich `Text` objects,
    which do not read markup. Imports nothing."""
    return "".join(_escaped(c) for c in str(value))


def _escaped(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
