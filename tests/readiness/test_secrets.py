"""SEC-01 quality bar: every seeded secret found (in code and outputs), no look-alike flagged."""

from __future__ import annotations

import json

import pytest
from pktest import code, markdown, stream, write_notebook
from readiness.secrets_corpus import (
    issue12_forms,
    issue12_look_alikes,
    look_alikes,
    real_notebook_look_alikes,
    secrets,
)

from prodkit.readiness import check_notebook
from prodkit.readiness.checks.security import secret_findings
from prodkit.readiness.context import CheckContext
from prodkit.readiness.secrets import REDACTED, redact_text, scan_text


def _cells(items):
    return [code(text) if where == "code" else code("print(value)", stream(text)) for _, text, where in items]


def _scan(project, items, name):
    from prodkit.notebook import read_notebook

    path = write_notebook(project.nbs_path / name, _cells(items))
    ctx = CheckContext(read_notebook(path), project)
    flagged = {cell for cell, _, _ in secret_findings(ctx)}
    return {kind: (i + 1 in flagged) for i, (kind, _, _) in enumerate(items)}


def test_corpus_size():
    s, la = secrets(), look_alikes()
    assert len(s) >= 30 and len(la) >= 30
    assert {w for *_, w in s} == {"code", "output"} and {w for *_, w in la} == {"code", "output"}


def test_recall_on_seeded_secrets(deps_project, capsys):
    found = _scan(deps_project, secrets(), "secrets.ipynb")
    missed = [k for k, hit in found.items() if not hit]
    with capsys.disabled():
        print(f"\nSEC-01 recall: {sum(found.values())}/{len(found)} seeded secrets found; missed: {missed}")
    assert not missed


def test_no_false_alarms_on_look_alikes(deps_project, capsys):
    found = _scan(deps_project, look_alikes(), "lookalikes.ipynb")
    false_alarms = [k for k, hit in found.items() if hit]
    with capsys.disabled():
        print(f"\nSEC-01 false alarms: {len(false_alarms)}/{len(found)} look-alikes flagged: {false_alarms}")
    assert not false_alarms


def test_secret_is_reported_with_cell_and_line_and_never_echoed(deps_project):
    aws = "AKIA" + "QWERTYUIOPASDFGH"
    path = write_notebook(deps_project.nbs_path / "s.ipynb", [
        markdown("# title"), code("import os\n\nkey = 'x'\naws_id = '" + aws + "'"),
        code("print(x)", stream(f"id={aws}\n"))])
    c = check_notebook(path, project=deps_project, only=["SEC-01"]).check("SEC-01")
    assert c.status == "fail" and c.cells == [2, 3]
    assert "cell 2 line 4" in c.message and "cell 3 output" in c.message
    assert aws not in c.message


def test_escaped_quotes_in_notebook_json_are_found(deps_project):
    """detect-secrets on the raw .ipynb misses `password = "..."` (quotes are escaped in JSON)."""
    path = write_notebook(deps_project.nbs_path / "pw.ipynb", [code('password = "Sup3rS3cret!"')])
    assert '\\"Sup3rS3cret!\\"' in path.read_text()
    assert check_notebook(path, project=deps_project, only=["SEC-01"]).check("SEC-01").status == "fail"


def test_images_are_not_scanned(deps_project):
    import base64

    png = base64.b64encode(b"AKIA" + bytes(range(256)) * 20).decode()
    path = write_notebook(deps_project.nbs_path / "img.ipynb", [
        code("plot()", {"output_type": "display_data", "metadata": {},
                        "data": {"image/png": png, "text/plain": "<Figure size 640x480>"}})])
    assert check_notebook(path, project=deps_project, only=["SEC-01"]).check("SEC-01").status == "pass"


def test_scan_text_gives_line_numbers():
    text = "a = 1\n\npassword = 'Hunter2Hunter2'\n"
    assert [f.line for f in scan_text(text)] == [3]
    assert json.dumps(scan_text("nothing here")) == "[]"


def test_dollar_signs_inside_passwords_are_not_mistaken_for_env_placeholders():
    from prodkit.readiness.secrets import scan_text

    assert scan_text('password = "Pa$$w0rd2024"')
    assert scan_text('conn = "postgresql://admin:Pa$$w0rd@db.internal:5432/prod"')
    assert not scan_text('password = "${DB_PASSWORD}"') and not scan_text('pw = "$HOME"')


def test_redact_text_replaces_only_the_secret_values():
    from prodkit.readiness.secrets import redact_text

    token = "ghp_" + "a1B2c3D4e5" * 3 + "abcdef"
    assert redact_text(f"api_token={token} threshold=0.5") == "api_token=*** threshold=0.5"
    assert redact_text('password = "Pa$$w0rd2024"') == 'password = "***"'
    assert redact_text("threshold=0.5, run_date=2026-01-01") == "threshold=0.5, run_date=2026-01-01"


def test_redact_uri_hides_the_password_and_keeps_the_rest():
    from prodkit.readiness.secrets import redact_uri

    assert redact_uri("postgresql://admin:s3cr3t-pw@db:5432/prod") == "postgresql://admin:***@db:5432/prod"
    assert redact_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert redact_uri("sqlite:///.prodkit/mlflow.db") == "sqlite:///.prodkit/mlflow.db"


@pytest.mark.parametrize(("uri", "shown"), [
    ("postgresql://bob:p@ss@db/prod", "postgresql://bob:***@db/prod"),  # unencoded @ in the password
    ("postgresql://bob:p/ss@db/prod", "postgresql://bob:***@db/prod"),  # unencoded / in the password
    ("https://user:pa:ss@h/x", "https://user:***@h/x"),
    ("postgresql://db/prod?user=bob&password=hunter2&sslmode=require",
     "postgresql://db/prod?user=bob&password=***&sslmode=require"),
    ("https://h/blob?sig=abc123&X-Amz-Signature=def456&page=2", "https://h/blob?sig=***&X-Amz-Signature=***&page=2"),
    ("https://a8f9d7e6c5b4a3f2e1d0c9b8a7f6e5d4@git.example.com/repo", "https://***@git.example.com/repo"),
])
def test_redact_uri_hides_awkward_credentials_whole(uri, shown):
    from prodkit.readiness.secrets import redact_uri

    assert redact_uri(uri) == shown


@pytest.mark.parametrize("uri", ["http://host:8080/path@x", "http://host/a@b", "ssh://git@github.com/x",
                                 "file:///tmp/a@b", "http://bob@host/x"])
def test_redact_uri_leaves_uris_without_credentials_readable(uri):
    from prodkit.readiness.secrets import redact_uri

    assert redact_uri(uri) == uri


@pytest.mark.parametrize(("kind", "text", "where", "secret"), issue12_forms(), ids=[f[0] for f in issue12_forms()])
def test_finding_12_missed_secret_form_is_caught_and_redacted(kind, text, where, secret):
    """Each form issue 12 found missed: SEC-01 flags it, and redaction hides the whole value."""
    output = where == "output"
    assert scan_text(text, output=output), f"{kind} not found"
    redacted = redact_text(text, output=output)
    assert secret not in redacted and REDACTED in redacted


@pytest.mark.parametrize(("kind", "text", "where"), issue12_look_alikes() + real_notebook_look_alikes(),
                         ids=[f[0] for f in issue12_look_alikes() + real_notebook_look_alikes()])
def test_finding_12_look_alike_is_not_a_secret(kind, text, where):
    """Placeholders, paths to key files, label prefixes: not secrets (issue 12's false alarms)."""
    assert scan_text(text, output=where == "output") == []


def test_finding_12_issue_look_alikes_in_a_notebook_raise_no_alarm(deps_project):
    found = _scan(deps_project, issue12_look_alikes(), "lookalikes12.ipynb")
    assert [k for k, hit in found.items() if hit] == []


def test_finding_12_issue_forms_in_a_notebook_are_all_flagged(deps_project):
    items = [(k, t, w) for k, t, w, _ in issue12_forms()]
    found = _scan(deps_project, items, "forms12.ipynb")
    assert [k for k, hit in found.items() if not hit] == []


def test_placeholder_words_and_template_fields_inside_real_passwords_keep_them_secrets():
    from prodkit.readiness.secrets import looks_like_placeholder

    for real in ("Sample#2024pw", "pa{}ss99", "example!Pr0d", "Tr0ub4dor&3xyz", "hunter"):
        assert not looks_like_placeholder(real), real
    for placeholder in ("sample_password", "your-api-key-here", "dummy", "{}", "{password}", "%s", "${PW}",
                        "<YOUR_KEY>", "xxxx", "changeme", "DB_PASSWORD", "fake-token-1"):
        assert looks_like_placeholder(placeholder), placeholder


def test_redacting_a_plugin_token_hides_the_whole_token_not_only_its_prefix():
    """detect-secrets yields only the `ghp` group for GitHub tokens; the span must be the token."""
    token = "ghp_" + "a1B2c3D4e5" * 3 + "abcdef"
    assert redact_text(f'gh = Github("{token}")') == 'gh = Github("***")'


def test_redacting_a_private_key_hides_its_body():
    key = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(["MIIEpAIBAAKCAQEA" + "x7Yq" * 12] * 3) + \
        "\n-----END RSA PRIVATE KEY-----"
    assert redact_text(f'KEY = """{key}"""') == 'KEY = """***"""'


def test_redact_uri_hides_jdbc_and_odbc_passwords():
    from prodkit.readiness.secrets import redact_uri

    assert redact_uri("jdbc:mysql://db:3306/s?user=etl&password=hunter&ssl=1") == \
        "jdbc:mysql://db:3306/s?user=etl&password=***&ssl=1"
    assert redact_uri("mssql+pyodbc:///?odbc_connect=DSN%3Ddw;UID=sa;PWD=hunter") == \
        "mssql+pyodbc:///?odbc_connect=DSN%3Ddw;UID=sa;PWD=***"


def test_plugin_gates_pass_every_text_their_plugin_matches():
    """A gate (checked before a plugin is imported) is a necessary part of the plugin's regexes."""
    import importlib

    from prodkit.readiness.secrets import DETECT_SECRETS_PLUGINS, PLUGIN_GATES

    texts = [text for _, text, _ in secrets()] + [text for _, text, _, _ in issue12_forms()]
    checked = 0
    for module, cls in DETECT_SECRETS_PLUGINS:
        if cls not in PLUGIN_GATES:
            continue
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)
        for text in texts:
            for regex in plugin.denylist:
                for m in regex.finditer(text):
                    checked += 1
                    assert PLUGIN_GATES[cls].search(m.group(0)), (cls, m.group(0))
    assert checked >= 3  # the corpus holds Twilio, Discord and Telegram tokens


def test_scanning_an_ordinary_cell_does_not_import_detect_secrets():
    """Promote scans every promoted cell: "." and ":" (Discord's and Telegram's anchors) occur in
    almost all of them, and importing every plugin cost promote ~0.1 s (issue 15)."""
    import subprocess
    import sys

    code_ = (
        "import sys; from prodkit.readiness.secrets import scan_text; "
        "assert not scan_text('def f(x):\\n    \"\"\"Feature 1.\"\"\"\\n    return {1: x.y}\\n'); "
        "print('detect_secrets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_importing_the_scanner_imports_neither_the_checks_nor_pydantic():
    """Promote, jobs and models scan for secrets; the readiness checks (which read every
    capability's state through the pydantic records) load only when a notebook is checked (issue 15)."""
    import subprocess
    import sys

    code_ = (
        "import sys; import prodkit.readiness.secrets; "
        "print([m for m in ('prodkit.readiness.checks', 'prodkit.records', 'pydantic') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
