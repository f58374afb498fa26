"""Declaring the business case (BIZ-01) in settings.ini `[prodkit.business]`.

settings.ini is the user's file: it is edited as text, so comments, order and every other
section stay exactly as they were; only the given keys change (or are added).
"""

from __future__ import annotations

import re
from pathlib import Path

from prodkit._io import atomic_write_text
from prodkit.errors import BadInput

SECTION = "prodkit.business"
KEYS = ("kpi", "target", "owner", "latency_budget_ms")


def set_business(root: Path | str, values: dict[str, str]) -> Path:
    """Set keys of `[prodkit.business]` in `<root>/settings.ini` (created when missing); returns the file."""
    unknown = set(values) - set(KEYS)
    if unknown:
        raise BadInput(f"unknown business field(s): {', '.join(sorted(unknown))}", fix=f"use {', '.join(KEYS)}")
    if "latency_budget_ms" in values:
        try:
            if float(values["latency_budget_ms"]) <= 0:
                raise ValueError
        except ValueError:
            raise BadInput(f"latency budget {values['latency_budget_ms']!r} must be a positive number of ms",
                           fix="e.g. --latency-ms 50") from None
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            raise BadInput(f"{key} must be one line", fix="remove the line break")
    path = Path(root) / "settings.ini"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    atomic_write_text(path, set_section_values(text, SECTION, values))
    return path


def set_section_values(text: str, section: str, values: dict[str, str]) -> str:
    """`text` (INI) with `key = value` set inside `[section]`, everything else unchanged."""
    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\s*\[([^\]]+)\]\s*$")
    start = next((i for i, line in enumerate(lines) if (m := header.match(line)) and m.group(1).strip() == section),
                 None)
    if start is None:
        prefix = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        body = "".join(f"{k} = {v}\n" for k, v in values.items())
        return text + prefix + f"[{section}]\n" + body
    end = next((i for i in range(start + 1, len(lines)) if header.match(lines[i])), len(lines))
    remaining = dict(values)
    last_key_line = start
    for i in range(start + 1, end):
        m = re.match(r"^(\s*)([A-Za-z0-9_.\-]+)\s*[=:]", lines[i])
        if not m:
            continue
        last_key_line = i
        key = m.group(2).lower()
        if key in remaining:
            newline = "\n" if lines[i].endswith("\n") else ""
            lines[i] = f"{m.group(1)}{key} = {remaining.pop(key)}{newline}"
    if remaining:
        insert = [f"{k} = {v}\n" for k, v in remaining.items()]
        if last_key_line < len(lines) and not lines[last_key_line].endswith("\n"):
            lines[last_key_line] += "\n"
        lines[last_key_line + 1:last_key_line + 1] = insert
    return "".join(lines)
