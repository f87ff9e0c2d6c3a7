"""/chart: three PNGs whose every label has a glyph in the bundled CJK font."""

from __future__ import annotations

from aiogram.methods import SendMediaGroup

from bot.context import AppContext
from bot.i18n import i18n_context
from bot.rules import Month
from bot.services.charts import (
    FONT_PATH,
    chart_data,
    drawn_texts,
    missing_glyphs,
    render_charts,
)
from handlers.stats import chart_labels
from storage.models import Organization
from tests.support.factories import ADMIN_TG, CADRE_A1_TG, SECRETARY_A_TG
from tests.support.harness import Harness, joined
from tests.test_stats_service import NOVEMBER, SHANGHAI, build_dataset

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def district_chart_data(app: AppContext):
    data = await build_dataset(app)
    async with app.sessions() as session:
        district = await session.get(Organization, data.world.district.id)
        assert district is not None
        return await chart_data(session, district, NOVEMBER, app.policy, SHANGHAI)


def test_the_font_ships_with_the_code_under_an_open_licence() -> None:
    assert FONT_PATH.is_file() and FONT_PATH.stat().st_size < 4_000_000
    assert "SIL OPEN FONT LICENSE" in (FONT_PATH.parent / "OFL.txt").read_text()


def test_the_font_covers_common_hanzi_and_punctuation() -> None:
    assert missing_glyphs(["市团委城东区第一团支部达标率（%）：成员学时分布—近6个月趋势"]) == set()


async def test_chart_figures_match_stats(app: AppContext) -> None:
    data = await district_chart_data(app)
    assert data.bars == [("第二团支部", 0.5), ("第一团支部", 1 / 3), ("第三团支部", 0.0)]
    assert sorted(data.hours) == [0, 2, 20, 30, 30]
    assert [month for month, _, _ in data.trend] == [
        Month(2026, 11).shift(-offset).key for offset in range(5, -1, -1)
    ]
    assert data.trend[-1][1] == 0.4


async def test_every_chinese_label_has_a_glyph(app: AppContext) -> None:
    data = await district_chart_data(app)
    with i18n_context(app.i18n, "zh_CN"):
        labels = chart_labels(app.policy)
    texts = drawn_texts(data, labels)
    assert any("达标率" in text for text in texts)
    assert missing_glyphs(texts) == set()


async def test_charts_render_three_pngs(app: AppContext) -> None:
    data = await district_chart_data(app)
    with i18n_context(app.i18n, "zh_CN"):
        images = render_charts(data, chart_labels(app.policy))
    assert len(images) == 3
    assert all(image.startswith(PNG_MAGIC) and len(image) > 10_000 for image in images)


async def test_chart_command_sends_an_album(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    requests = await harness.send(ADMIN_TG, "/chart 2026-11")
    albums = [r for r in requests if isinstance(r, SendMediaGroup)]
    assert len(albums) == 1 and len(albums[0].media) == 3
    assert "市团委 — 2026-11" in (albums[0].media[0].caption or "")


async def test_secretary_chart_is_their_branch(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    requests = await harness.send(SECRETARY_A_TG, "/chart")
    album = next(r for r in requests if isinstance(r, SendMediaGroup))
    assert "第一团支部" in (album.media[0].caption or "")


async def test_cadre_cannot_chart(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    requests = await harness.send(CADRE_A1_TG, "/chart")
    assert "只有团支部书记和管理员" in joined(requests)
    assert not any(isinstance(r, SendMediaGroup) for r in requests)


async def test_future_month_chart_gets_a_clear_answer(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "还没有开始" in joined(await harness.send(ADMIN_TG, "/chart 2030-01"))
