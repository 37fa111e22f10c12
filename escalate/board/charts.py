"""The dashboard's charts, worked out as shapes for an SVG template to draw.

Drawn on the server, so they need no JavaScript; coloured by SVG presentation attributes,
which the strict style policy allows, not by inline styles, which it blocks. A chart is a
picture of the table printed beside it: screen readers read the table, and the chart's
own label says so.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 250
BAR_START = LABEL_WIDTH + 10
BAR_SPACE = WIDTH - BAR_START - 60
ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_CHARACTERS = 34
"""Longer labels are cut with an ellipsis in the chart; the table beside it has them whole."""


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int
    y: int
    width: int
    text_y: int
    value_text: str = ""
    """What the bar's end says: its count, or a published report's "fewer than 5"."""

    @property
    def value_x(self) -> int:
        return self.x + self.width + 6


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    label_x: int = LABEL_WIDTH
    rows: int = 0
    """How many rows the chart stands for; more than its bars when it draws the largest."""

    @property
    def is_cut(self) -> bool:
        return self.rows > len(self.bars)


MOST_BARS = 12
"""A chart draws the largest rows only, so it reads at a glance; its table has them all."""


def bar_chart(
    items: list[tuple[str, int]],
    *,
    texts: list[str] | None = None,
    ranks: list[int] | None = None,
) -> BarChart:
    """Horizontal bars, one per (label, count), the longest the largest count; ``texts``
    say what each bar's end reads, where that is not its count. Of more than ``MOST_BARS``
    rows, the largest by ``ranks`` (else by count) are drawn, largest first."""
    texts = texts or [f"{value:,}" for _, value in items]
    rows = len(items)
    if rows > MOST_BARS:
        order = ranks or [value for _, value in items]
        kept = sorted(range(len(items)), key=lambda i: -order[i])[:MOST_BARS]
        items, texts = [items[i] for i in kept], [texts[i] for i in kept]
    largest = max((value for _, value in items), default=0)
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * ROW_HEIGHT + 5
        width = round(BAR_SPACE * value / largest) if largest else 0
        bars.append(
            Bar(
                label=_short(label),
                value=value,
                x=BAR_START,
                y=y,
                width=width,
                text_y=y + BAR_HEIGHT - 4,
                value_text=texts[index],
            )
        )
    return BarChart(bars=bars, height=max(len(items), 1) * ROW_HEIGHT + 10, rows=rows)


@dataclass(frozen=True)
class Column:
    label: str
    x: int
    now_value: int
    now_y: int
    now_height: int
    before_value: int
    before_y: int
    before_height: int


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    width: int
    height: int
    baseline: int
    column_width: int
    top_value: int


TREND_HEIGHT = 220
TREND_TOP = 20
TREND_BASELINE = 180
GROUP_WIDTH = 52
COLUMN_WIDTH = 20
TREND_LEFT = 64
"""Room for the axis's largest count, 123,456 at 12 pixels a figure."""


def trend_chart(points: list[tuple[str, int, int]]) -> ColumnChart:
    """A pair of columns a month: this period's, then the same month of the previous one."""
    largest = max((max(now, before) for _, now, before in points), default=0)
    space = TREND_BASELINE - TREND_TOP

    def height(value: int) -> int:
        return round(space * value / largest) if largest else 0

    columns = []
    for index, (label, now, before) in enumerate(points):
        x = TREND_LEFT + index * GROUP_WIDTH
        columns.append(
            Column(
                label=label,
                x=x,
                now_value=now,
                now_y=TREND_BASELINE - height(now),
                now_height=height(now),
                before_value=before,
                before_y=TREND_BASELINE - height(before),
                before_height=height(before),
            )
        )
    return ColumnChart(
        columns=columns,
        width=TREND_LEFT + max(len(points), 1) * GROUP_WIDTH + 10,
        height=TREND_HEIGHT,
        baseline=TREND_BASELINE,
        column_width=COLUMN_WIDTH,
        top_value=largest,
    )


def _short(label: str) -> str:
    if len(label) <= LABEL_CHARACTERS:
        return label
    return label[: LABEL_CHARACTERS - 1].rstrip() + "…"
