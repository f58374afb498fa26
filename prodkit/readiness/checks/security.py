"""Security checks: secrets in sources and outputs, personal data in outputs."""

from __future__ import annotations

import re

from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, register_check
from prodkit.readiness.secrets import scan_text


def secret_findings(ctx: CheckContext) -> list[tuple[int, str, str]]:
    """(cell number, "line N" or "output", kind) for every secret in the notebook."""
    found = []
    for cell in ctx.notebook.cells:
        for finding in scan_text(cell.source):
            found.append((cell.number, f"line {finding.line}", finding.kind))
        for text in ctx.outputs.get(cell.number, []):
            for finding in scan_text(text, output=True):
                found.append((cell.number, "output", finding.kind))
    return found


@register_check("SEC-01", section="Security", title="No secrets in code or outputs",
                fix="rotate the leaked credentials, read them from the environment (os.environ[...]) and clear "
                    "the outputs that show them")
def no_secrets(ctx: CheckContext) -> Outcome:
    found = secret_findings(ctx)
    if not found:
        return Outcome.ok("no secrets found in cell sources or outputs")
    shown = "; ".join(f"cell {c} {where}: {kind}" for c, where, kind in found[:4])
    more = f" (+{len(found) - 4} more)" if len(found) > 4 else ""
    return Outcome.problem(f"{len(found)} secret(s): {shown}{more}", [c for c, _, _ in found])


_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})\b")
_SAFE_EMAIL_DOMAINS = re.compile(r"(?i)(?:^|\.)(?:example\.(?:com|org|net)|test|invalid|localhost|"
                                 r"users\.noreply\.github\.com|noreply\.\w+)$")
_PHONE = re.compile(r"(?<![\w.+-])(?:\(\d{3}\)\s?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}|"
                    r"\+\d{1,3}(?:[ \-.]?\d{1,4}){1,2}(?:[ \-.]\d{2,4}){2,3}|\+\d{10,14})(?![\w.-])")
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
# 13-19 digits in one run, or grouped as cards print them (4-4-4-4..., Amex 4-6-5); not number arrays
_CARD = re.compile(r"(?<![\w.])(?:\d{13,19}|\d{4}(?:[ \-]\d{4}){2}[ \-]\d{1,7}|\d{4}[ \-]\d{6}[ \-]\d{5})(?![\w.])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")


_DIGITS = re.compile(r"\d{2}")


def _luhn(digits: str) -> bool:
    total, double = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def _iban_valid(text: str) -> bool:
    s = text.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def pii_kinds(text: str) -> list[str]:
    """Kinds of personal data visible in one output text."""
    kinds = []
    if "@" in text and any(not _SAFE_EMAIL_DOMAINS.search(m.group(1)) for m in _EMAIL.finditer(text)):
        kinds.append("email address")
    if not _DIGITS.search(text):
        return kinds
    if _PHONE.search(text):
        kinds.append("phone number")
    if _SSN.search(text):
        kinds.append("social security number")
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and len(set(digits)) > 2 and _luhn(digits) and digits[0] in "23456":
            kinds.append("payment card number")
            break
    if any(_iban_valid(m.group(0)) for m in _IBAN.finditer(text)):
        kinds.append("IBAN")
    return kinds


@register_check("SEC-02", section="Security", title="No personal data in outputs",
                fix="show aggregates or masked columns instead of raw rows (df.drop(columns=[...]) before "
                    "display), then clear and re-run the cell")
def no_pii(ctx: CheckContext) -> Outcome:
    found: dict[int, set[str]] = {}
    for number, texts in ctx.outputs.items():
        for text in texts:
            if kinds := pii_kinds(text):
                found.setdefault(number, set()).update(kinds)
    if not found:
        return Outcome.ok("no personal data (emails, phones, card numbers, SSNs, IBANs) in outputs")
    kinds = sorted(set().union(*found.values()))
    return Outcome.problem(f"personal data in outputs: {', '.join(kinds)}", list(found))
