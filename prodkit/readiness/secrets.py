"""Finding secrets in notebook text, one cell source or text output at a time.

detect-secrets' regex plugins (cloud and SaaS token formats) plus prodkit's own patterns
for what notebooks typically leak: passwords and keys assigned in code, headers
(`"X-API-Key": ...`), env vars set in code (`os.environ[...] = ...`, `setdefault`, `%env`),
connection strings (ODBC `Pwd=...;`, JDBC `password=...&`, URLs with credentials), `curl -u`,
basic-auth tuples, private-key blocks, and `NAME=value` lines of printed environments and
config files. Scanning each cell's source and text outputs separately (never the .ipynb JSON)
keeps escaped quotes intact, never looks at base64 images, and gives cell and line numbers.

Each pattern runs only when one of its anchor substrings occurs in the text; names (`db_password`,
`KAGGLE_KEY`) are matched generically and judged in Python, which keeps the regexes linear.
Values that only stand for a secret are dropped by `looks_like_placeholder`; a value under a
name that only says "key" must also look like a generated token. High-entropy detectors are
deliberately not used: hashes, git SHAs and UUIDs are everywhere in notebooks.
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
    "DiscordBotTokenDetector": (".",),
    "GitHubTokenDetector": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "GitLabTokenDetector": ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-", "glptt-",
                            "glagent-", "gloas-"),
    "IbmCloudIamDetector": _KEYWORDS,
    "IbmCosHmacDetector": ("key",),
    "JwtTokenDetector": ("eyJ",),
    "MailchimpDetector": ("-us",),
    "NpmDetector": ("_authtoken", "npm_"),
    "OpenAIDetector": ("T3BlbkFJ",),
    "PypiTokenDetector": ("pypi-",),
    "SendGridDetector": ("SG.",),
    "SlackDetector": ("xox", "hooks.slack.com"),
    "SoftlayerDetector": ("softlayer", *_KEYWORDS),
    "SquareOAuthDetector": ("sq0csp",),
    "StripeDetector": ("_live_",),
    "TelegramBotTokenDetector": (":",),
    "TwilioKeyDetector": ("AC", "SK"),
}
# For plugins whose anchors occur in almost any text ("." and ":" in every other line): a part
# that each of their detect-secrets regexes needs, checked before the plugin is even imported.
PLUGIN_GATES: dict[str, re.Pattern] = {
    "ArtifactoryDetector": re.compile(r"AKC[a-zA-Z0-9]{10}|AP[\dABCDEF][a-zA-Z0-9]{8}"),
    "DiscordBotTokenDetector": re.compile(r"[a-zA-Z\d_-]{23}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}"),
    "TelegramBotTokenDetector": re.compile(r"\d{8}:[0-9A-Za-z_-]{35}"),
    "TwilioKeyDetector": re.compile(r"(?:AC|SK)[a-z0-9]{32}"),
}

# Words that make a variable, field or env var name a credential's name. `key` alone is weaker
# (sort_key, cache_key, S3 object keys): a value under such a name must look like a token.
_SECRET_WORD = (r"(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|"
                r"private[_\-]?key|auth[_\-]?key|credentials?)")
_STRONG_NAME = re.compile(r"(?i)" + _SECRET_WORD)
_SECRET_NAME = re.compile(r"(?i)" + _SECRET_WORD + r"|key")
# Any name; whether it names a secret is decided in Python (a regex with the words inside the name
# backtracks through every identifier and made scanning twice as slow).
_NAME = r"[A-Za-z0-9_\-]++"
_STR_PREFIX = r"(?:[rRbBuUfF]{1,2})?"  # r"", b"", f"", rf"" ...


@dataclass(frozen=True)
class _Pattern:
    """One of prodkit's own patterns: `value` is the group holding the secret, `name` (if any) the
    group holding the name it is assigned to; the text must contain one of `anchors` first."""

    kind: str
    regex: str
    value: int = 0
    name: int = 0
    anchors: tuple[str, ...] = ()  # a pattern without anchors never runs
    where: str = "both"  # "code", "output" (also shell and %%writefile cells) or "both"
    needs: str = "any"  # what the value must look like: "any", "random" (letters and digits) or "pem"


# Env-style lines: `NAME=value` as printed by `env`, `!cat .env`, `%env`, `export` or an ini/yaml dump.
_ENV_LINE = (r"(?im)^[ \t]*{prefix}([A-Za-z_][A-Za-z0-9_\-.]*)[ \t]*[=:][ \t]*"
             r"[\"']?([^\s\"'=][^\s\"']{3,})[\"']?[ \t]*;?[ \t]*$")

OWN_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("Google API key", r"\bAIza[0-9A-Za-z\-_]{35}\b", anchors=("AIza",)),
    _Pattern("GCP service account key", r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", 1,
             anchors=("private_key_id",)),
    _Pattern("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b", anchors=("hf_",)),
    _Pattern("Anthropic API key", r"\bsk-ant-[a-z]+\d{2}-[A-Za-z0-9_\-]{40,}", anchors=("sk-ant-",)),
    _Pattern("OpenAI API key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}",
             anchors=("sk-proj-", "sk-svcacct-", "sk-admin-")),
    _Pattern("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{60,}", anchors=("github_pat_",)),
    _Pattern("Databricks token", r"\bdapi[0-9a-f]{32}(?:-\d)?\b", anchors=("dapi",)),
    _Pattern("Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
             anchors=("shpat_", "shpca_", "shppa_", "shpss_")),
    _Pattern("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", anchors=("_v1_",)),
    _Pattern("Azure connection string key", r"(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{40,})", 1,
             anchors=("accountkey=", "sharedaccesskey=")),
    _Pattern("Stripe key", r"\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}\b", anchors=("_live_",)),
    _Pattern("Credentials in URL", r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@[^\s\"'<>]+", 1,
             anchors=("://",)),
    _Pattern("Square token", r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z\-_]{22,60}", anchors=("sq0",)),
    _Pattern("Authorization header", r"(?i)\b(?:bearer|token|basic)\s+([A-Za-z0-9\-._~+/]{20,}=*)", 1,
             anchors=("bearer", "token", "basic"), needs="random"),
    # The whole block, so that redaction hides the key body, not only its header line.
    _Pattern("Private key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
             r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", anchors=("PRIVATE KEY",), needs="pem"),
    _Pattern("Private key", r"PuTTY-User-Key-File-\d+:[\s\S]*?(?:Private-MAC:[^\n]*|\Z)", anchors=("PuTTY",),
             needs="pem"),
    # password = "...", "X-API-Key": "...", os.environ["DB_PASSWORD"] = "...", password = f"abc{x}def"
    _Pattern("Password or token in code",
             r"(?i)[\"']?\b(" + _NAME + r")[\"']?\]?\s*(?::|=|:=)\s*" + _STR_PREFIX + r"([\"'])([^\"'\n]{4,})\2",
             3, 1, anchors=_KEYWORDS),
    # os.environ.setdefault("API_TOKEN", "..."), os.putenv(...), config.set("db", "password", "...")
    _Pattern("Password or token in code",
             r"(?i)[(,]\s*" + _STR_PREFIX + r"[\"'](" + _NAME + r")[\"']\s*,\s*" + _STR_PREFIX +
             r"([\"'])([^\"'\n]{4,})\2", 3, 1, anchors=_KEYWORDS),
    # requests.get(url, auth=("user", "...")), HTTPBasicAuth("user", "...")
    _Pattern("Password in basic auth", r"(?i)\b(?:auth\s*=\s*\(|HTTP(?:Basic|Digest)Auth\()\s*" + _STR_PREFIX +
             r"[\"'][^\"'\n]*[\"']\s*,\s*" + _STR_PREFIX + r"([\"'])([^\"'\n]{4,})\1", 2, anchors=("auth",)),
    # ODBC "...;Pwd=...;", JDBC "...?user=u&password=...&", f"...;password=literal;", --password=...
    _Pattern("Password in connection string",
             r"(?i)(?:(?<=[;?&\"'`!])|(?<=\s)--?)(" + _NAME + r")[ \t]*=[ \t]*([^\s;&\"'`=][^\s;&\"'`]{3,})",
             2, 1, anchors=_KEYWORDS),
    # libpq DSN: "dbname=dw user=etl password=..." (not kwargs: the value must end at a space or quote)
    _Pattern("Password in connection string",
             r"(?i)\b(?:dbname|host|user|port|sslmode)[ \t]*=[ \t]*[^\s\"',()]+[^\"'\n]*?[ \t](password)[ \t]*=[ \t]*"
             r"([^\s\"',()]{4,})(?=[\s\"']|$)", 2, 1, anchors=("password",)),
    # smtp.login("me@corp.com", "..."), ftp.login(...), imap.login(...)
    _Pattern("Password in login call", r"\.login\(\s*" + _STR_PREFIX + r"[\"'][^\"'\n]*[\"']\s*,\s*" + _STR_PREFIX +
             r"([\"'])([^\"'\n]{4,})\1", 2, anchors=(".login(",)),
    # curl -u user:password, curl --user "user:password"
    _Pattern("Password in curl command",
             r"(?i)\bcurl\b[^\n]*?[ \t](?:-u|--user)(?:[ \t]+|=)[\"']?[^\s:\"']*:([^\s\"']+)", 1, anchors=("curl",)),
    # %env NAME=value, %env NAME value, export NAME=value in a code cell
    _Pattern("Secret in environment", _ENV_LINE.replace("{prefix}", r"(?:%env|%set_env|!?[ \t]*export)[ \t]+"), 2, 1,
             anchors=_KEYWORDS, where="code"),
    _Pattern("Secret in environment", r"(?im)^[ \t]*%(?:env|set_env)[ \t]+([A-Za-z_]\w*)[ \t]+([^\s=]\S{3,})[ \t]*$",
             2, 1, anchors=_KEYWORDS, where="code"),
    # Outputs (and shell / %%writefile cells): a whole `NAME=value` line, then NAME=value anywhere.
    _Pattern("Secret in printed environment",
             _ENV_LINE.replace("{prefix}", r"(?:(?:export|set)[ \t]+)?"), 2, 1, anchors=_KEYWORDS, where="output"),
    _Pattern("Secret in printed environment",
             r"(?i)\b([A-Za-z0-9_]++)\s*[=:]\s*([^\s\"',;&]{8,})", 2, 1,
             anchors=_KEYWORDS, where="output", needs="random"),
)

# Names that contain a secret word but hold no secret.
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:^(?:max|min|num|n|total|count)[_\-]|tokeniz|^tokens?$|[_\-]tokens$|"
    r"(?:^|[_\-])(?:unk|pad|bos|eos|sos|cls|sep|mask|special|start|end|page|next)[_\-]?tokens?|nextpagetoken|"
    r"(?:[_\-.]|^)(?:file|path|dir|name|env|var|field|type|len|length|size|count|id|url|uri|prompt|label|"
    r"header|regex|pattern|column|col|policy|method|mode|format|hash|hashed|salt|prefix|suffix|enabled|"
    r"timeout|expiry|expires|ttl|sock|provider|host|port|user|username|version|algorithm|scope|region|"
    r"endpoint|location|kind|index|idx|map|mapping|fn|func|min|max)s?$|"
    r"(?-i:[a-z0-9](?:Path|File|Name|Url|Uri|Id|Type|Dir|Field|Env|Len|Length|Size|Count)s?$))"
)

# A value that stands for a secret (wherever these appear in it).
_PLACEHOLDER = re.compile(
    r"(?i)^\s*$|<[^<>]*>|^\$\{?[A-Za-z_]\w*\}?$|\$\(|"
    r"^(?:x+|\*+|\.+|-+|_+|#+|0+|\?+)$|x{4,}|\*{3,}|\.\.\.|…|"
    r"your[_\-\s]?|changeme|change[_\-]me|placeholder|redacted|os\.environ|getenv|getpass|"
    r"(?-i:EXAMPLE|^[A-Z][A-Z0-9_]*_(?:KEY|TOKEN|SECRET|PASSWORD|PASS|PWD)$|^\[[A-Z]+\]$)"
)
# Template fields ({name}, {}, %s, %(name)s, ${VAR}): what a template fills in is not in the text.
_TEMPLATE_FIELD = re.compile(r"\{+[^{}]*\}+|%\(\w*\)[sdr]|%[sdr]|\$\{\w+\}")
# Words that make up placeholder values ("sample_password", "your-token-here", "dummy"). Only whole
# words count, so "Sample#2024pw" keeps "#2024pw" and stays a secret.
_FILLER = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:example|sample|dummy|fake|test|tests|testing|demo|mock|secret|secrets|password|"
    r"passwd|pass|pwd|pw|token|key|api|apikey|access|private|client|here|insert|enter|put|replace|my|the|"
    r"none|null|nil|true|false|undefined|string|str|todo|tbd|n/a|na|value|default|foo|bar|baz|"
    r"required|optional|hidden|set|me|goes|with|empty|blank|unused|not|no|needed|ollama)(?![a-z0-9])"
)
_FILLER_GAP = re.compile(r"[\s_\-.:/,]+")
_KEY_FILE = re.compile(
    r"(?i)^(?:[A-Za-z]:)?[\w.~\-/\\]*[\w\-]\.(?:json|pem|key|p12|pfx|crt|cer|der|jks|keystore|txt|ya?ml|ini|"
    r"cfg|conf|env|toml|gpg|asc|pub|ppk|csv|pkl|db|sqlite)$|^(?:~|\.{1,2})/[\w.\-/]*$|^/(?:[\w.\-]+/)+[\w.\-]+$")
_SCALAR = re.compile(r"(?i)^(?:true|false|yes|no|on|off|none|null|\d+(?:\.\d+)?[smhd]?)$")
_UUID = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TOKENISH = re.compile(r"^[A-Za-z0-9+/=_\-.~]{16,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Cells whose body is shell or a config file, scanned like outputs (`%%writefile x.py` stays code).
_SHELL_OR_FILE_CELL = re.compile(r"^\s*%%(?:bash|sh|script\b|(?:writefile|file)(?:\s+-a)?\s+(?!\S*\.py\b))")
# `args.token`, `get_password()`, `cfg.db.password`: an expression in printed code, not a value.
_EXPRESSION = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(.*\))?$|^[A-Za-z_][\w.]*\(.*\)$")


@dataclass(frozen=True)
class SecretFinding:
    """One secret: what kind, on which line (1-based) and where (offsets) in the scanned text."""

    kind: str
    line: int
    start: int = field(default=-1, compare=False)
    end: int = field(default=-1, compare=False)


def looks_like_placeholder(value: str) -> bool:
    """True for values that stand for a secret rather than being one.

    `<YOUR_KEY>`, `${VAR}`, `{password}`, `%s`, `xxxx`, `***`, env lookups, names of env vars,
    `sample_password`, `dummy-token-1`, AWS's `...EXAMPLE`; but not `Sample#2024pw` or `pa{}ss99`.
    """
    if _PLACEHOLDER.search(value):
        return True
    literal = _TEMPLATE_FIELD.sub("", value)
    return len(_FILLER_GAP.sub("", _FILLER.sub("", literal))) < 4


def _looks_random(value: str) -> bool:
    """A token-like value: letters and digits mixed, not a word or a sentence."""
    return (len(value) >= 8 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
            and " " not in value)


def _looks_token(value: str) -> bool:
    """A generated key (KAGGLE_KEY, subscription keys): 16+ token characters with one long random run."""
    return (bool(_TOKENISH.match(value)) and not _UUID.match(value) and _looks_random(value)
            and max(len(part) for part in re.split(r"[_\-.]", value)) >= 12)


def _is_secret_value(pattern: _Pattern, value: str, name: str) -> bool:
    if pattern.needs == "pem":  # a real key has a body; documentation shows "..." between the lines
        body = re.sub(r"-----[A-Z0-9 ]+-----|\s", "", value)
        return len(body) >= 32 and not re.search(r"\.\.\.|…|x{4,}", body)
    if looks_like_placeholder(value) or _CONTROL.search(value):  # ANSI colour codes in tracebacks, help
        return False
    if pattern.needs == "random" and not _looks_random(value):
        return False
    if pattern.name:
        if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name) or any(c.isspace() for c in value):
            return False
        if _KEY_FILE.match(value) or "://" in value or _SCALAR.match(value) or _EXPRESSION.match(value):
            return False
        if not _STRONG_NAME.search(name) and not _looks_token(value):
            return False
    return True


@functools.cache
def _plugin(module: str, cls: str) -> tuple | None:
    """(plugin, its denylist compiled per line, whether it validates matches itself), imported on
    first need: importing detect-secrets costs ~50 ms, and most cells never need a plugin."""
    import importlib

    try:
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)()
    except (ImportError, AttributeError):  # pragma: no cover - an older detect-secrets
        return None
    from detect_secrets.plugins.base import RegexBasedDetector

    return (plugin, tuple(re.compile(r.pattern, r.flags | re.MULTILINE) for r in plugin.denylist),
            type(plugin).analyze_string is not RegexBasedDetector.analyze_string)


@functools.lru_cache(maxsize=2)
def _patterns(output: bool) -> tuple[_Pattern, ...]:
    wanted = ("both", "output") if output else ("both", "code")
    return tuple(p for p in OWN_PATTERNS if p.where in wanted)


@functools.cache
def _regex(pattern: str) -> re.Pattern:
    """Compiled on first need: most texts hold the anchors of only a few patterns."""
    return re.compile(pattern)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


@functools.lru_cache(maxsize=1)
def _all_anchors() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every anchor once: (lowercase ones, looked up in the lowercased text; the others)."""
    anchors = {a for p in OWN_PATTERNS for a in p.anchors} | {a for a in PLUGIN_ANCHORS.values() for a in a}
    return tuple(sorted(a for a in anchors if a == a.lower())), tuple(sorted(a for a in anchors if a != a.lower()))


def _anchors_in(text: str, low: str) -> frozenset[str]:
    """The anchors `text` contains, one lookup each (patterns share most of them)."""
    lower, cased = _all_anchors()
    return frozenset((*(a for a in lower if a in low), *(a for a in cased if a in text)))


def _own_findings(text: str, found: frozenset[str], output: bool) -> Iterable[SecretFinding]:
    output = output or bool(_SHELL_OR_FILE_CELL.match(text))
    for pattern in _patterns(output):
        if found.isdisjoint(pattern.anchors):
            continue
        for m in _regex(pattern.regex).finditer(text):
            value, name = m.group(pattern.value), m.group(pattern.name) if pattern.name else ""
            if _is_secret_value(pattern, value, name):
                yield SecretFinding(pattern.kind, _line_of(text, m.start(pattern.value)),
                                    m.start(pattern.value), m.end(pattern.value))


def _plugin_value_span(m: re.Match) -> tuple[int, int]:
    """The secret inside a plugin match: its longest group when that is the value (AWS), else the
    whole match without the delimiters some patterns include (GitHub's group is only `ghp`)."""
    groups = [i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)]
    best = max(groups, key=lambda i: len(m.group(i)), default=0)
    if best and len(m.group(best)) >= 8:
        return m.span(best)
    start, end = m.span()
    text = m.string
    while start < end and text[start] in " \t\n=:\"'":
        start += 1
    while end > start and text[end - 1] in " \t\n\"'":
        end -= 1
    return start, end


def _plugin_findings(text: str, found: frozenset[str]) -> Iterable[SecretFinding]:
    for module, cls in DETECT_SECRETS_PLUGINS:
        if found.isdisjoint(PLUGIN_ANCHORS[cls]) or (cls in PLUGIN_GATES and not PLUGIN_GATES[cls].search(text)):
            continue
        if (loaded := _plugin(module, cls)) is None:
            continue
        plugin, regexes, validates = loaded
        for regex in regexes:
            for m in regex.finditer(text):
                if validates and not any(True for _ in plugin.analyze_string(m.group(0))):
                    continue
                start, end = _plugin_value_span(m)
                if start < end and not looks_like_placeholder(text[start:end]):
                    yield SecretFinding(plugin.secret_type, _line_of(text, start), start, end)


def _findings(text: str, output: bool) -> Iterable[SecretFinding]:
    found = _anchors_in(text, text.lower())
    if not found:  # every pattern and plugin has anchors: none can match
        return ()
    return (*_plugin_findings(text, found), *_own_findings(text, found, output))


def scan_text(text: str, *, output: bool = False) -> list[SecretFinding]:
    """Secrets in one cell source (`output=False`) or one text output, one per line."""
    if not text:
        return []
    by_line: dict[int, SecretFinding] = {}
    for finding in _findings(text, output):
        by_line.setdefault(finding.line, finding)
    return sorted(by_line.values(), key=lambda f: f.line)


REDACTED = "***"


def _all_spans(text: str, output: bool) -> list[tuple[int, int]]:
    return sorted({(f.start, f.end) for f in _findings(text, output) if 0 <= f.start < f.end})


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
    credentials comes back unchanged. The user info ends at the *last* `@` of the authority,
    so a password holding an unencoded `@` or `/` is hidden whole, and query values named
    like credentials (`?password=...`, `&token=...`) are hidden too.
    """
    if not uri or not isinstance(uri, str):
        return uri
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*://)(.*)", uri, flags=re.S)
    if match is None:
        return redact_text(uri)
    scheme, rest = match.groups()
    rest = _redact_userinfo(rest)
    rest = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}{REDACTED}", rest)
    return redact_text(scheme + rest)


_SECRET_QUERY = re.compile(
    r"([?&;](?:[\w.\-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|sig|signature|credential)"
    r"[\w.\-]*)=)[^&;#\s]*", re.IGNORECASE)


def _looks_like_token(text: str) -> bool:
    """The one rule for a user alone in a URI (`https://<user>@host`): a token when 16+ characters with a
    letter and a digit (`ghp_a1B2...`, a hex key), else a name (`git`, `bob`, `first.last`)."""
    return len(text) >= 16 and bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


# a URI inside a message: from its scheme to the next blank or quote
_URI_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>`]*")


def redact_uris_in(text: str) -> str:
    """`text` (a URI, or a message holding URIs) with each URI in it passed through `redact_uri`, so a URI
    is redacted by the same rules whether it is shown alone or quoted in an error message."""
    if not text or not isinstance(text, str):
        return text
    return _URI_IN_TEXT.sub(lambda m: redact_uri(m.group(0)), text)


def _redact_userinfo(rest: str) -> str:
    """`user:password@host/...` -> `user:***@host/...` (the part after `scheme://`)."""
    before_query = re.split(r"[?#]", rest, maxsplit=1)[0]
    at = before_query.rfind("@")
    if at < 0:
        return rest
    userinfo = rest[:at]
    user, colon, password = userinfo.partition(":")
    if "/" in user:
        return rest  # the `@` is in the path (`http://host/a@b`)
    if not colon:
        # a user alone is a name (`git@`, `bob@`), or a token used as the user (`https://<token>@host`)
        return f"{REDACTED}{rest[at:]}" if _looks_like_token(user) else rest
    port, slash, _ = password.partition("/")
    if slash and port.isdigit():
        return rest  # `host:8080/path@x`: a port and a path, not credentials
    return f"{user}:{REDACTED}{rest[at:]}"
