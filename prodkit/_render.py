"""One view of a result, three renderers: plain text, Rich (terminals) and HTML (notebooks).

A result class defines its rows once, in `view()`, as a `View`: a list of blocks, each a `Line`
or a `Table` whose cells are plain strings (or `Cell`s: spans of text with a style name). Cell
text is never markup: every renderer shows it as text. Plain text makes control and format
characters visible (`_text.visible`); Rich gets `Text` objects (never parsed as markup) of the
same visible text; HTML escapes every cell's visible text with `html.escape` (so a bidi override
or ESC shows as `\\u202e`, `\\x1b` there too).

Plain text imports nothing (piped `prodkit promote` prints it without importing Rich); Rich is
imported only by `to_rich`.

    view = View([Line("2 jobs"), Table("jobs", ("name", "state"), [("a", Cell.of("paused", "yellow"))])])
    to_text(view); to_rich(view); to_html(view)
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prodkit._text import visible

# Rich style words -> inline CSS (colours readable on light and dark notebook themes)
_CSS_COLORS = {"green": "#1a7f37", "red": "#cf222e", "yellow": "#9a6700", "dim": "#6e7781",
               "bright_black": "#6e7781", "cyan": "#0969da", "blue": "#0550ae", "magenta": "#8250df"}


@dataclass(frozen=True)
class Span:
    """A run of text in one style (a Rich style string such as "bold red", or "")."""

    text: str
    style: str = ""
    newline: bool = False  # starts a new line inside its cell (Rich and HTML; plain text: "; ")
    title: str = ""  # HTML only: shown on hover (e.g. a report's path)


@dataclass(frozen=True)
class Cell:
    """A table cell or a line: one or more spans."""

    spans: tuple[Span, ...]

    @classmethod
    def of(cls, text: object, style: str = "", title: str = "") -> Cell:
        return cls((Span("" if text is None else str(text), style, title=title),))

    def plus(self, text: object, style: str = "", newline: bool = False) -> Cell:
        return Cell((*self.spans, Span(str(text), style, newline)))

    @property
    def text(self) -> str:
        """The cell's plain text (spans joined; a span on a new line after a newline)."""
        return "".join(("\n" if s.newline else "") + s.text for s in self.spans)


def cell(value: object, style: str = "") -> Cell:
    return value if isinstance(value, Cell) else Cell.of(value, style)


def Line(value: object, style: str = "") -> Cell:  # noqa: N802 - reads as a block kind
    """A line of text outside any table."""
    return cell(value, style)


@dataclass
class Table:
    """Rows of cells under column names. `box`: "boxed" (Rich's default), "edgeless" or "plain"."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[object] = field(default_factory=list)  # lines shown after the table
    header: bool = True
    box: str = "edgeless"
    fold: Sequence[str] = ()  # columns whose long values fold in Rich instead of being cut
    no_wrap: Sequence[str] = ()


@dataclass
class View:
    blocks: list[Table | Cell] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


def rows_text(table: Table) -> list[list[str]]:
    """The table's rows as the plain visible strings every renderer shows (what tests compare)."""
    return [[_plain(cell(v)) for v in row] for row in table.rows]


def lines_text(view: View) -> list[str]:
    """Every line outside tables (and every table's notes), as plain visible text."""
    out = []
    for block in view.blocks:
        if isinstance(block, Table):
            out += [_plain(cell(n)) for n in block.notes]
        else:
            out.append(_plain(block))
    return out


# ---- plain text --------------------------------------------------------------------------------


def _plain(c: Cell) -> str:
    return "".join(("; " if s.newline else "") + visible(s.text) for s in c.spans)


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def to_text(view: View) -> str:
    """Aligned columns, no colour, one line per row; control characters shown as escapes."""
    lines: list[str] = []
    for block in view.blocks:
        if not isinstance(block, Table):
            lines.append(_plain(block))
            continue
        if block.title:
            lines.append(visible(block.title))
        rows = rows_text(block)
        if block.header:
            rows = [[visible(c) for c in block.columns], *rows]
        if rows:
            lines += _aligned(rows)
        lines += [_plain(cell(n)) for n in block.notes]
    return "\n".join(lines)


# ---- Rich -----------------------------------------------------------------------------------


def _rich_text(c: Cell):
    from rich.text import Text

    text = Text()
    for s in c.spans:
        if s.newline:
            text.append("\n")
        text.append(visible(s.text), style=s.style or None)
    return text


def rich_table(table: Table):
    from rich import box
    from rich.table import Table as RichTable

    options = {"boxed": {}, "edgeless": {"show_edge": False, "pad_edge": False},
               "plain": {"box": None, "pad_edge": False}}[table.box]
    if table.box == "boxed":
        options["box"] = box.HEAVY_HEAD
    rich = RichTable(title=_rich_text(Cell.of(table.title)) if table.title else None, title_justify="left",
                     show_header=table.header, **options)
    for name in table.columns:
        rich.add_column(visible(name), overflow="fold" if name in table.fold else "ellipsis",
                        no_wrap=name in table.no_wrap)
    for row in table.rows:
        rich.add_row(*(_rich_text(cell(v)) for v in row))
    return rich


def to_rich(view: View):
    """A Rich renderable (a Group of tables and lines) for `Console.print`; the console sets the width."""
    from rich.console import Group

    parts = []
    for block in view.blocks:
        if isinstance(block, Table):
            parts.append(rich_table(block))
            parts += [_rich_text(cell(n)) for n in block.notes]
        else:
            parts.append(_rich_text(block))
    return Group(*parts)


# ---- HTML -----------------------------------------------------------------------------------


def _css(style: str) -> str:
    rules = []
    for word in style.split():
        if word == "bold":
            rules.append("font-weight:bold")
        elif word in _CSS_COLORS:
            rules.append(f"color:{_CSS_COLORS[word]}")
    return ";".join(rules)


def _html_cell(c: Cell) -> str:
    parts = []
    for s in c.spans:
        text = html.escape(visible(s.text))
        css = f' style="{_css(s.style)}"' if _css(s.style) else ""
        title = f' title="{html.escape(visible(s.title), quote=True)}"' if s.title else ""
        parts.append(("<br>" if s.newline else "") + (f"<span{css}{title}>{text}</span>" if css or title else text))
    return "".join(parts)


def html_table(table: Table) -> str:
    caption = f"<caption style='text-align:left'>{html.escape(visible(table.title))}</caption>" if table.title else ""
    head = ("<thead><tr>" + "".join(f"<th>{html.escape(visible(c))}</th>" for c in table.columns) + "</tr></thead>"
            if table.header else "")
    body = "".join("<tr>" + "".join(f"<td>{_html_cell(cell(v))}</td>" for v in row) + "</tr>" for row in table.rows)
    notes = "".join(f"<div>{_html_cell(cell(n))}</div>" for n in table.notes)
    return f"<table>{caption}{head}<tbody>{body}</tbody></table>{notes}"


def to_html(view: View) -> str:
    """An HTML fragment: every cell escaped, inline styles only."""
    parts = [html_table(b) if isinstance(b, Table) else f"<div>{_html_cell(b)}</div>" for b in view.blocks]
    return "<div>" + "".join(parts) + "</div>"


class Rendered:
    """Mixin: `__rich__`, `__str__` and `_repr_html_` from the class's `view()`."""

    def view(self) -> View:  # pragma: no cover - each result defines it
        raise NotImplementedError

    def __rich__(self):
        return to_rich(self.view())

    def __str__(self) -> str:
        return to_text(self.view())

    def _repr_html_(self) -> str:
        return to_html(self.view())


def join(values: Iterable[object], sep: str = ", ") -> str:
    return sep.join(str(v) for v in values)
