"""Model references as users write them: `NAME`, `NAME@ALIAS`, `NAME/VERSION`, `models:/NAME@ALIAS`.

Pure parsing, no mlflow import: the CLI, `load_model`, `score` and the server share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prodkit.errors import BadInput

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # as prodkit.models.register.validate_name
ALIAS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,254}$")
FORMS = "NAME, NAME@ALIAS, NAME/VERSION or models:/NAME@ALIAS (e.g. churn-clf@champion, churn-clf/3)"


@dataclass(frozen=True)
class ModelRef:
    """A registered model and which of its versions: an alias, a version number, or None (the newest)."""

    name: str
    ref: str | None

    @property
    def is_alias(self) -> bool:
        return self.ref is not None and not self.ref.isdigit() and self.ref != "latest"

    def __str__(self) -> str:
        if self.ref is None:
            return self.name
        return f"{self.name}@{self.ref}" if self.is_alias else f"{self.name}/{self.ref}"


def _bad(text: str, why: str) -> BadInput:
    return BadInput(f"invalid model reference {text!r}: {why}", fix=f"write {FORMS}")


def _clean_ref(text: str, ref: str) -> str:
    ref = ref.strip()
    if ref.startswith("@"):
        ref = ref[1:]
    elif ref[:1] in "vV" and ref[1:].isdigit():
        ref = ref[1:]
    if ref.isdigit():
        if int(ref) < 1:
            raise _bad(text, "versions start at 1")
        return str(int(ref))
    if ref.lower() == "latest":
        return "latest"
    if not ALIAS_RE.match(ref):
        raise _bad(text, f"{ref!r} is neither a version number nor an alias")
    return ref


def parse_model_ref(text: object, ref: str | int | None = None, *, default: str | None = "champion") -> ModelRef:
    """`text` (with an optional separate `ref`) as a ModelRef; BadInput with one line when malformed.

    parse_model_ref("churn-clf@champion"), parse_model_ref("churn-clf/3"),
    parse_model_ref("models:/churn-clf@champion"), parse_model_ref("churn-clf", 3).
    A bare name means `default` (champion); default=None means the newest version.
    """
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"a model reference must be a non-empty string, got {text!r}", fix=f"write {FORMS}")
    raw = text.strip()
    body = raw[len("models:/"):] if raw.startswith("models:/") else raw
    embedded: str | None = None
    if "@" in body:
        body, embedded = body.split("@", 1)
        if not embedded:
            raise _bad(raw, "nothing after '@'")
    elif "/" in body:
        body, embedded = body.split("/", 1)
        if not embedded:
            raise _bad(raw, "nothing after '/'")
        if not (embedded.isdigit() or embedded.lower() == "latest"):
            raise _bad(raw, f"{embedded!r} after '/' is not a version number")
    if not NAME_RE.match(body):
        raise _bad(raw, f"{body!r} is not a model name (letters, digits, '.', '_', '-')")
    if embedded is not None and ref is not None and _clean_ref(raw, embedded) != _clean_ref(raw, str(ref)):
        raise _bad(raw, f"it names {embedded!r} and the second argument names {ref!r}")
    chosen = embedded if embedded is not None else (str(ref) if ref is not None else default)
    return ModelRef(body, None if chosen is None else _clean_ref(raw, chosen))
