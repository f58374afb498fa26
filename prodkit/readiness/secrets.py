"""Finding secrets in notebook text, one cell source or text output at a time.

detect-secrets' regex plugins (cloud and SaaS token formats) plus prodkit's own patterns
for what notebooks typically leak: passwords in code, connection strings with credentials,
bearer headers, environment dumps in outputs, and newer token formats. Scanning each cell's
source and text outputs separately (never the .ipynb JSON) keeps escaped quotes intact,
never looks at base64 images, and gives cell and line numbers.

Values that only look like secrets are dropped by `looks_like_placeholder`: `<YOUR_KEY>`,
`${VAR}`, `{password}`, `xxxx`, `***`, env lookups, names of env vars, documentation
examples (AWS's `...EXAMPLE`). High-entropy detectors are deliberately not used: hashes,
git SHAs and UUIDs are everywhere in notebooks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# detect-secrets plugins used (regex based; entropy, keyword and public-IP plugins are not).
DETECT_SECRETS_PLUGINS = (
    ("aws", "AWSKeyDetector"),
    ("azure_storage_key", "AzureStorageKeyDetector"),
    ("artifactory", "ArtifactoryDetector"),
    ("cloudant", "CloudantDetector"),
    ("discord", "DiscordBotTokenDetector"),
    ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"),
    ("ibm_cloud_iam", "IbmCloudIamDetector"),
    ("ibm_cos_hmac", "IbmCosHmacDetector"),
    ("jwt", "JwtTokenDetector"),
    ("mailchimp", "MailchimpDetector"),
    ("npm", "NpmDetector"),
    ("openai", "OpenAIDetector"),
    ("private_key", "PrivateKeyDetector"),
    ("pypi_token", "PypiTokenDetector"),
    ("sendgrid", "SendGridDetector"),
    ("slack", "SlackDetector"),
    ("softlayer", "SoftlayerDetector"),
    ("square_oauth", "SquareOAuthDetector"),
    ("stripe", "StripeDetector"),
    ("telegram_token", "TelegramBotTokenDetector"),
    ("twilio", "TwilioKeyDetector"),
)

# Substrings one of which must occur for a plugin or pattern to possibly match: a fast `in`
# test skips the regex on most texts (dataframes, logs). Lowercase anchors are looked up in the
# lowercased text, anchors with capitals in the text as is.
_KEYWORDS = ("key", "pw", "pass", "token", "secret", "credential", "auth")
PLUGIN_ANCHORS: dict[str, tuple[str, ...]] = {
    "AWSKeyDetector": ("akia", "asia", "abia", "acca", "a3t", "aws"),
    "AzureStorageKeyDetector": ("accountkey",),
    "ArtifactoryDetector": ("AKC", "AP"),
    "CloudantDetector": ("cloudant", *_KEYWORDS),
    "GitHubTokenDetector": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "GitLabTokenDetector": ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-", "glptt-",
                            "glagent-", "gloas-"),
    "IbmCloudIamDetector": _KEYWORDS,
    "IbmCosHmacDetector": ("key",),
    "JwtTokenDetector": ("eyJ",),
    "MailchimpDetector": ("-us",),
    "NpmDetector": ("_authtoken", "npm_"),
    "OpenAIDetector": ("T3BlbkFJ",),
    "PrivateKeyDetector": ("private key", "putty"),
    "PypiTokenDetector": ("pypi-",),
    "SendGridDetector": ("SG.",),
    "SlackDetector": ("xox", "hooks.slack.com"),
    "SoftlayerDetector": ("softlayer", *_KEYWORDS),
    "SquareOAuthDetector": ("sq0csp",),
    "StripeDetector": ("_live_",),
    "TelegramBotTokenDetector": (":",),
    "TwilioKeyDetector": ("AC", "SK"),
}

_SECRET_NAME = r"(?:password|passwd|passphrase|pwd|secret|token|api_?key|apikey|access_?key|private_?key|credentials?)"

# (kind, pattern, group holding the secret value); group 0 means the whole match.
OWN_PATTERNS: tuple[tuple[str, str, int], ...] = (
    ("Google API key", r"\bAIza[0-9A-Za-z\-_]{35}\b", 0),
    ("GCP service account key", r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", 1),
    ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b", 0),
    ("Anthropic API key", r"\bsk-ant-[a-z]+\d{2}-[A-Za-z0-9_\-]{40,}", 0),
    ("OpenAI API key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}", 0),
    ("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{60,}", 0),
    ("Databricks token", r"\bdapi[0-9a-f]{32}(?:-\d)?\b", 0),
    ("Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", 0),
    ("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", 0),
    ("Azure connection string key", r"(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{40,})", 1),
    ("Stripe key", r"\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}\b", 0),
    ("Credentials in URL", r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@[^\s\"'<>]+", 1),
    ("Square token", r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z\-_]{22,60}", 0),
    ("Authorization header", r"(?i)\b(?:bearer|token|basic)\s+([A-Za-z0-9\-._~+/]{20,}=*)", 1),
    ("Password or token in code",
     r"(?i)[\"']?\b([A-Za-z0-9_]*" + _SECRET_NAME + r"[A-Za-z0-9_]*)[\"']?\]?\s*(?::|=|:=)\s*"
     r"[rbuRBU]?([\"'])([^\"'\n]{4,})\2", 3),
)

OWN_ANCHORS: dict[str, tuple[str, ...]] = {
    "Google API key": ("AIza",),
    "GCP service account key": ("private_key_id",),
    "Hugging Face token": ("hf_",),
    "Anthropic API key": ("sk-ant-",),
    "OpenAI API key": ("sk-proj-", "sk-svcacct-", "sk-admin-"),
    "GitHub fine-grained token": ("github_pat_",),
    "Databricks token": ("dapi",),
    "Shopify token": ("shpat_", "shpca_", "shppa_", "shpss_"),
    "DigitalOcean token": ("_v1_",),
    "Azure connection string key": ("accountkey=", "sharedaccesskey="),
    "Stripe key": ("_live_",),
    "Credentials in URL": ("://",),
    "Square token": ("sq0",),
    "Authorization header": ("bearer", "token", "basic"),
    "Password or token in code": _KEYWORDS,
    "Secret in printed environment": _KEYWORDS,
}

# Unquoted `NAME=value` lines, as printed by `env`, `!cat .env` or logging: outputs only.
OUTPUT_ONLY_PATTERNS: tuple[tuple[str, str, int], ...] = (
    ("Secret in printed environment",
     r"(?i)\b([A-Z0-9_]*" + _SECRET_NAME + r"[A-Z0-9_]*)\s*[=:]\s*([^\s\"',;]{8,})", 2),
)

# Variable names that contain a secret word but hold no secret.
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:^(?:max|min|num|n|total|count)_|tokeniz|^tokens?$|_tokens$|"
    r"(?:_|^)(?:file|path|dir|name|env|var|field|type|len|length|size|count|id|url|uri|prompt|label|"
    r"header|regex|pattern|column|col|policy|method|mode|format|hash|hashed|salt|prefix|suffix)s?$)"
)

_PLACEHOLDER = re.compile(
    r"(?i)"
    r"^\s*$|<[^>]*>|^\$\{?[A-Za-z_]\w*\}?$|\{[^}]*\}|%\(?[a-z_]*\)?s|"
    r"^(?:x+|\*+|\.+|-+|_+|#+|0+)$|x{4,}|\*{3,}|\.\.\.|…|"
    r"your[_\-\s]?|example|changeme|change[_\-]me|placeholder|dummy|redacted|fake|sample|"
    r"^(?:none|null|nil|true|false|undefined|string|secret|password|passwd|token|api[_-]?key|test|todo|tbd|n/?a)$|"
    r"^[A-Z][A-Z0-9_]*_(?:KEY|TOKEN|SECRET|PASSWORD|PASS|PWD)$|"
    r"os\.environ|getenv|getpass"
)

_NEEDS_RANDOMNESS = {"Authorization header", "Secret in printed environment"}


@dataclass(frozen=True)
class SecretFinding:
    """One secret: what kind, on which line (1-based) and where (offsets) in the scanned text."""

    kind: str
    line: int
    start: int = field(default=-1, compare=False)
    end: int = field(default=-1, compare=False)


def looks_like_placeholder(value: str) -> bool:
    """True for values that stand for a secret rather than being one."""
    return bool(_PLACEHOLDER.search(value))


def _looks_random(value: str) -> bool:
    """A token-like value: letters and digits mixed, not a word or a sentence."""
    return (len(value) >= 8 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
            and " " not in value)


@functools.lru_cache(maxsize=1)
def _detect_secrets_plugins() -> tuple:
    import importlib

    plugins = []
    for module, cls in DETECT_SECRETS_PLUGINS:
        try:
            plugins.append(getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)())
        except (ImportError, AttributeError):  # pragma: no cover - an older detect-secrets
            continue
    return tuple(plugins)


@functools.lru_cache(maxsize=2)
def _compiled(output: bool) -> tuple:
    patterns = OWN_PATTERNS + (OUTPUT_ONLY_PATTERNS if output else ())
    return tuple((kind, re.compile(p), group) for kind, p, group in patterns)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _present(anchors: tuple[str, ...], text: str, low: str) -> bool:
    return any((a in text) if a != a.lower() else (a in low) for a in anchors)


def _own_findings(text: str, low: str, output: bool) -> Iterable[SecretFinding]:
    for kind, pattern, group in _compiled(output):
        if not _present(OWN_ANCHORS.get(kind, ("",)), text, low):
            continue
        for m in pattern.finditer(text):
            value = m.group(group)
            if looks_like_placeholder(value):
                continue
            if pattern.groups >= 1 and kind in ("Password or token in code", "Secret in printed environment"):
                if _NOT_SECRET_NAME.search(m.group(1)) or " " in value.strip():
                    continue
            if kind in _NEEDS_RANDOMNESS and not _looks_random(value):
                continue
            yield SecretFinding(kind, _line_of(text, m.start(group)), m.start(group), m.end(group))


_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-+/=.]*")


def _plugin_findings(text: str, low: str) -> Iterable[SecretFinding]:
    for plugin in _detect_secrets_plugins():
        if not _present(PLUGIN_ANCHORS.get(type(plugin).__name__, ("",)), text, low):
            continue
        if not any(pattern.search(text) for pattern in plugin.denylist):
            continue
        offset = 0
        for line_no, line in enumerate(text.split("\n"), start=1):
            for value in plugin.analyze_string(line):
                if not looks_like_placeholder(value):
                    at = line.find(value)
                    start = offset + at if at >= 0 else offset
                    end = start + len(value) if at >= 0 else offset + len(line)
                    # some plugins report only a token's prefix (`ghp` of `ghp_…`): cover the whole token
                    end += len(_TOKEN_TAIL.match(text, end).group())
                    yield SecretFinding(plugin.secret_type, line_no, start, end)
            offset += len(line) + 1


def scan_text(text: str, *, output: bool = False) -> list[SecretFinding]:
    """Secrets in one cell source (`output=False`) or one text output, one per line."""
    if not text:
        return []
    low = text.lower()
    found: dict[int, SecretFinding] = {}
    for finding in (*_plugin_findings(text, low), *_own_findings(text, low, output)):
        found.setdefault(finding.line, finding)
    return sorted(found.values(), key=lambda f: f.line)


REDACTED = "***"


def _all_spans(text: str, output: bool) -> list[tuple[int, int]]:
    low = text.lower()
    return sorted({(f.start, f.end) for f in (*_plugin_findings(text, low), *_own_findings(text, low, output))
                   if 0 <= f.start < f.end})


def redact_text(text: str, *, output: bool = True) -> str:
    """`text` with every secret value the detector finds replaced by `***` (the rest kept).

    `output=True` (the default) also applies the printed-environment patterns, which suits
    parameters, error messages and logs: anything shown back to people or stored.
    """
    if not text or not isinstance(text, str):
        return text
    merged: list[list[int]] = []
    for start, end in _all_spans(text, output):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, last = [], 0
    for start, end in merged:
        pieces += [text[last:start], REDACTED]
        last = end
    return "".join(pieces) + text[last:]


def redact_uri(uri: str) -> str:
    """A URI with its password (and secret-looking query values) replaced by `***`.

    `postgresql://bob:pw@host/db` -> `postgresql://bob:***@host/db`; a URI without
    credentials comes back unchanged.
    """
    if not uri or not isinstance(uri, str):
        return uri
    redacted = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://[^/@:\s]*):[^@/\s]*@", rf"\1:{REDACTED}@", uri)
    return redact_text(redacted)
