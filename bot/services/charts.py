"""PNG charts of an organisation's month: completion per child, hours distribution, trend.

Chinese labels use the bundled font `bot/assets/fonts/BranchBotSansCJK-Regular.otf` (a
GB2312 subset of Noto Sans CJK SC, SIL OFL), registered with matplotlib at first use;
DejaVu Sans (shipped with matplotlib) is the fallback for other characters. matplotlib is
imported lazily and drawn with the object API on the Agg canvas (no pyplot, no display),
so rendering can run in a worker thread. Framework-free.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy
from bot.services import stats as service
from bot.services.orgs import children
from storage.models import Organization

FONT_PATH = (
    Path(__file__).resolve().parent.parent / "assets" / "fonts" / ("BranchBotSansCJK-Regular.otf")
)
FONT_FAMILY = "BranchBot Sans CJK"
MAX_BARS = 30  # more children than this: the 30 lowest are charted (they need attention)


@dataclass(frozen=True)
class ChartLabels:
    """Every fixed text drawn, already translated."""

    completion_title: str
    completion_axis: str
    hours_title: str
    hours_axis: str
    members_axis: str
    target_line: str
    trend_title: str
    trend_rate: str
    trend_hours: str


@dataclass(frozen=True)
class ChartData:
    org_name: str
    month: str
    target_hours: float
    bars: list[tuple[str, float]]  # (organisation, completion 0..1)
    hours: list[float]  # each tracked member's hours
    trend: list[tuple[str, float, float]]  # (month, completion 0..1, average hours)


async def chart_data(
    session: AsyncSession,
    org: Organization,
    month: Month,
    policy: StudyPolicy,
    tz: ZoneInfo,
) -> ChartData:
    """The figures behind the three charts, from the same aggregate as /stats."""
    kids = await children(session, org)
    rows = service.iter_member_months(session, org, month, policy, month.utc_bounds(tz))
    summary = await service.summarise(rows, org, kids, policy.target_minutes)
    total = summary.total
    bars = [(kid.name, kid.completion) for kid in summary.children]
    bars = bars or [(org.name, total.completion)]
    trend = [
        (m.key, figures.completion, figures.average_minutes / 60)
        for m, figures in await service.trend(session, org, month, policy, tz)
    ]
    return ChartData(
        org_name=org.name,
        month=month.key,
        target_hours=policy.target_minutes / 60,
        bars=bars[-MAX_BARS:],
        hours=[minutes / 60 for minutes in total.minutes],
        trend=trend,
    )


def drawn_texts(data: ChartData, labels: ChartLabels) -> list[str]:
    """Every string the charts draw (titles, axes, names, months), for the glyph check."""
    fixed = [getattr(labels, name) for name in labels.__dataclass_fields__]
    titles = [text.format(org=data.org_name, month=data.month) for text in fixed]
    return titles + [name for name, _ in data.bars] + [m for m, _, _ in data.trend]


@cache
def _register_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_PATH))


def missing_glyphs(texts: Sequence[str]) -> set[str]:
    """Characters of `texts` that the bundled font has no glyph for."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(FONT_PATH))
    return {
        char
        for text in texts
        for char in text
        if not char.isspace() and font.get_char_index(ord(char)) == 0
    }


def render_charts(data: ChartData, labels: ChartLabels) -> list[bytes]:
    """Three PNGs: completion per organisation, distribution of hours, 6-month trend."""
    import matplotlib

    _register_font()
    style = {
        "font.family": [FONT_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(style):
        return [
            _png(_completion, data, labels),
            _png(_distribution, data, labels),
            _png(_trend, data, labels),
        ]


def _png(draw: Any, data: ChartData, labels: ChartLabels) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.8), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure.add_subplot(), data, labels)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _title(text: str, data: ChartData) -> str:
    return text.format(org=data.org_name, month=data.month)


def _completion(axes: Any, data: ChartData, labels: ChartLabels) -> None:
    names = [name for name, _ in data.bars]
    rates = [rate * 100 for _, rate in data.bars]
    colours = ["#c0392b" if rate < 60 else "#e67e22" if rate < 90 else "#27ae60" for rate in rates]
    positions = range(len(names))
    axes.barh(positions, rates, color=colours)
    axes.set_yticks(list(positions), names, fontsize=9 if len(names) < 15 else 7)
    axes.invert_yaxis()  # ranked best first, top down
    axes.set_xlim(0, 105)
    axes.set_xlabel(labels.completion_axis)
    axes.set_title(_title(labels.completion_title, data))
    for position, rate in zip(positions, rates, strict=True):
        axes.text(rate + 1, position, f"{rate:.0f}%", va="center", fontsize=8)


def _distribution(axes: Any, data: ChartData, labels: ChartLabels) -> None:
    top = max([data.target_hours * 2, *data.hours]) if data.hours else data.target_hours * 2
    bins = [step * 5 for step in range(int(top // 5) + 2)]
    axes.hist(data.hours, bins=bins, color="#2980b9", edgecolor="white")
    axes.axvline(data.target_hours, color="#c0392b", linestyle="--", linewidth=2)
    axes.text(
        data.target_hours, 0.95, " " + labels.target_line, color="#c0392b",
        transform=axes.get_xaxis_transform(), va="top",
    )  # fmt: skip
    axes.yaxis.get_major_locator().set_params(integer=True)  # people come in whole numbers
    axes.set_xlabel(labels.hours_axis)
    axes.set_ylabel(labels.members_axis)
    axes.set_title(_title(labels.hours_title, data))


def _trend(axes: Any, data: ChartData, labels: ChartLabels) -> None:
    months = [m for m, _, _ in data.trend]
    rates = [rate * 100 for _, rate, _ in data.trend]
    averages = [average for _, _, average in data.trend]
    axes.plot(months, rates, marker="o", color="#27ae60", label=labels.trend_rate)
    axes.set_ylim(0, 105)
    axes.set_ylabel(labels.trend_rate)
    other = axes.twinx()
    other.plot(months, averages, marker="s", color="#2980b9", label=labels.trend_hours)
    other.axhline(data.target_hours, color="#c0392b", linestyle="--", linewidth=1)
    other.set_ylim(0, max([data.target_hours * 1.5, *averages]))
    other.set_ylabel(labels.trend_hours)
    axes.set_title(_title(labels.trend_title, data))
    lines = axes.get_lines()[:1] + other.get_lines()[:1]
    axes.legend(lines, [line.get_label() for line in lines], loc="lower left")
