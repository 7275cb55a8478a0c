"""Tables that fit the terminal: columns dropped by priority, text cut, numbers never.

Rich, given a table wider than the terminal, narrows every column alike, so
``3,412,907`` becomes ``3.…`` and every path the same cut-off prefix. Here each
table says which columns matter most and which text may shrink; widths are
worked out before rich sees them:

1. the least important columns go, one at a time, until the rest fit with their
   text columns at their narrowest;
2. text columns give back width, widest first, until the table fits;
3. numbers, ids, times keep their whole width: a table never shows a cut number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..formatting import ellipsis

Cell = str | Text
_GAP = 2  # rich's padding between two columns of a table without box or edge


@dataclass
class Column:
    """One column and its cells, top to bottom.

    ``priority`` 0 is never dropped; among the others the highest goes first.
    ``squeeze`` makes a text column narrowable down to that many cells, its text
    cut by ``cut`` (the end replaced by ``…`` unless told otherwise).
    """

    header: str
    cells: list[Cell] = field(default_factory=list)
    footer: Cell | None = None
    justify: Literal["left", "right"] = "left"
    priority: int = 0
    squeeze: int | None = None
    cut: Callable[[str, int], str] = ellipsis

    def natural(self) -> int:
        return max([cell_len(self.header)] + [_len(c) for c in self.cells]
                   + ([_len(self.footer)] if self.footer is not None else []))

    def narrowest(self) -> int:
        return min(self.natural(), max(self.squeeze, 1)) if self.squeeze is not None else self.natural()


def fits(columns: Sequence[Column], width: int) -> bool:
    """Whether every column fits at once, text narrowed as far as it may be."""
    return _need(columns, Column.narrowest) <= width


def table(console: Console, columns: Sequence[Column], **options: object) -> Table:
    """A rich ``Table`` of ``columns`` laid out for ``console.width``; ``options`` go to ``Table``."""
    kept, widths = layout(columns, console.width)
    footer = any(c.footer is not None for c in kept)
    t = Table(box=None, pad_edge=False, header_style="bold underline", show_footer=footer, **options)  # type: ignore[arg-type]
    for c, w in zip(kept, widths):
        t.add_column(_fit(c.header, w, ellipsis), justify=c.justify, width=w, no_wrap=True, overflow="ellipsis",
                     footer=_fit(c.footer, w, c.cut) if c.footer is not None else "")
    for row in zip(*(c.cells for c in kept)):
        t.add_row(*(_fit(cell, w, c.cut) for cell, c, w in zip(row, kept, widths)))
    return t


def layout(columns: Sequence[Column], width: int) -> tuple[list[Column], list[int]]:
    """The columns kept, in their order, and the width of each."""
    kept = list(columns)
    while not fits(kept, width) and any(c.priority for c in kept):
        least = max(range(len(kept)), key=lambda n: (kept[n].priority, n))
        del kept[least]
    widths = [c.natural() for c in kept]
    excess = sum(widths) + _GAP * (len(kept) - 1) - width
    while excess > 0:
        room = [(widths[n] - c.narrowest(), n) for n, c in enumerate(kept) if c.squeeze is not None]
        spare, n = max(room, default=(0, -1))
        if spare <= 0:
            break  # only unshrinkable columns are left: the terminal is narrower than any sane table
        widths[n] -= 1
        excess -= 1
    return kept, widths


def _need(columns: Sequence[Column], width_of: Callable[[Column], int]) -> int:
    return sum(width_of(c) for c in columns) + _GAP * max(0, len(columns) - 1)


def _len(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _fit(cell: Cell, width: int, cut: Callable[[str, int], str]) -> Text:
    """The cell in ``width`` cells, as ``Text``: titles and paths are the user's text, never rich markup."""
    text = cell if isinstance(cell, Text) else Text(cell)
    return text if text.cell_len <= width else Text(cut(text.plain, width), style=text.style)
