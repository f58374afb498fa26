"""Model references: NAME@ALIAS, NAME/VERSION, models:/NAME@ALIAS, and one-line errors for bad ones."""

from __future__ import annotations

import pytest

from prodkit.errors import BadInput
from prodkit.models.refs import ModelRef, parse_model_ref


@pytest.mark.parametrize("text, ref, expected", [
    ("churn-clf@champion", None, ModelRef("churn-clf", "champion")),
    ("churn-clf/3", None, ModelRef("churn-clf", "3")),
    ("models:/churn-clf@champion", None, ModelRef("churn-clf", "champion")),
    ("models:/churn-clf/3", None, ModelRef("churn-clf", "3")),
    ("churn-clf", None, ModelRef("churn-clf", "champion")),
    ("churn-clf", 3, ModelRef("churn-clf", "3")),
    ("churn-clf", "v3", ModelRef("churn-clf", "3")),
    ("churn-clf", "@challenger", ModelRef("churn-clf", "challenger")),
    ("churn-clf@champion", "champion", ModelRef("churn-clf", "champion")),
    ("churn-clf/latest", None, ModelRef("churn-clf", "latest")),
])
def test_every_reference_form_parses(text, ref, expected):
    assert parse_model_ref(text, ref) == expected


@pytest.mark.parametrize("text, ref, message", [
    ("churn clf@champion", None, "is not a model name"),
    ("churn-clf@", None, "nothing after '@'"),
    ("churn-clf/", None, "nothing after '/'"),
    ("churn-clf/three", None, "is not a version number"),
    ("churn-clf/0", None, "versions start at 1"),
    ("churn-clf@champ;ion", None, "neither a version number nor an alias"),
    ("churn-clf@champion", "3", "second argument"),
    ("", None, "non-empty string"),
    ("../etc/passwd", None, "is not a version number"),
    ("../x@champion", None, "is not a model name"),
])
def test_bad_references_are_one_line(text, ref, message):
    with pytest.raises(BadInput) as info:
        parse_model_ref(text, ref)
    assert message in info.value.line() and "\n" not in info.value.line()


def test_str_round_trips():
    for text in ("churn-clf@champion", "churn-clf/3"):
        assert str(parse_model_ref(text)) == text


def test_finding_bad_ref_in_a_notebook_shows_one_line_not_a_traceback(capsys):
    """A BadInput raised in a notebook cell rendered as a full traceback before (issue 13)."""
    from pktest import ipython_shell

    shell = ipython_shell()
    shell.run_cell("import prodkit\nprodkit.load_model('churn clf@champion')")
    captured = capsys.readouterr()
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", captured.out + captured.err)
    assert "BadInput: invalid model reference 'churn clf@champion'" in text
    assert "Traceback" not in text and "File " not in text
