"""Questions in private chats through the real Dispatcher: answers, locales, no match, self."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram.methods import SendMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.i18n import i18n_context
from bot.services import progress
from handlers import criteria
from storage.models import GroupStudy, Member, Role, StudyLog
from tests.support.factories import (
    CADRE_A1_TG,
    SECRETARY_A_TG,
    STRANGER_TG,
    World,
    add_member,
)
from tests.support.harness import Harness, buttons, joined

ENGLISH_TG = 3001


@pytest.mark.parametrize(
    ("question", "title", "source"),
    [
        ("五四红旗团支部要达到什么标准？", "先进集体", "出处：二、争创标准·先进集体"),
        ("优秀团干部怎么评？", "优秀团干部的基本要求", "出处：二、争创标准·先进个人"),
        ("每月自学多少小时？", "个人自学（每月不少于30小时）", "出处：三、主要内容"),
        ("我们支部想评红旗要准备啥", "先进集体", "出处：二、争创标准"),
        ("社会组织建团率要达到多少？", "社会组织建团目标", "出处：三、主要内容"),
    ],
)
async def test_chinese_question_gets_the_entry_with_its_source(
    harness: Harness, world: World, question: str, title: str, source: str
) -> None:
    text = joined(await harness.send(CADRE_A1_TG, question))
    assert title in text
    assert source in text


async def test_answer_offers_two_or_three_related_entries_and_the_menu(
    harness: Harness, world: World
) -> None:
    requests = await harness.send(CADRE_A1_TG, "红旗团支部评选条件是啥")
    entry_buttons = [data for _, data in buttons(requests) if data.startswith("kb:e:")]
    assert 2 <= len(entry_buttons) <= 3
    assert any(data.startswith("kb:m:") for _, data in buttons(requests))


async def test_related_button_opens_that_entry(harness: Harness, world: World) -> None:
    requests = await harness.send(CADRE_A1_TG, "红旗团支部评选条件是啥")
    data = next(data for _, data in buttons(requests) if data == "kb:e:collective_leadership")
    opened = joined(await harness.press(CADRE_A1_TG, data))
    assert "班子建设好" in opened and "政治坚定" in opened


async def test_english_member_gets_the_answer_in_english(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        await add_member(session, ENGLISH_TG, "Alice", world.branch_a, Role.CADRE, locale="en")
        await session.commit()
    text = joined(await harness.send(ENGLISH_TG, "每月自学多少小时？"))
    assert "Personal self-study" in text and "Source:" in text
    assert "出处" not in text


async def test_unregistered_english_user_gets_english(harness: Harness) -> None:
    harness.languages[STRANGER_TG] = "en"
    text = joined(await harness.send(STRANGER_TG, "criteria for excellent league cadre"))
    assert "Excellent League Cadre" in text


async def test_unregistered_chinese_user_can_ask_about_the_plan(harness: Harness) -> None:
    assert "优秀团干部" in joined(await harness.send(STRANGER_TG, "优秀团干要求"))


async def test_question_with_a_duration_falls_through_to_the_answer(
    harness: Harness, world: World
) -> None:
    text = joined(await harness.send(CADRE_A1_TG, "每月要自学30小时吗？"))
    assert "30小时" in text and "出处" in text


async def test_unmatched_question_says_so_and_offers_the_menu(
    harness: Harness, world: World
) -> None:
    requests = await harness.send(CADRE_A1_TG, "入团申请书怎么写")
    text = joined(requests)
    assert "没有找到" in text
    assert "出处" not in text  # never an unrelated entry presented as the answer
    assert ("📖 全部评选标准", "kb:m:root") in buttons(requests)


async def test_off_topic_question_gets_a_short_polite_answer(
    harness: Harness, world: World
) -> None:
    requests = await harness.send(CADRE_A1_TG, "今天天气怎么样")
    assert len(requests) == 1
    assert "没有找到" in joined(requests) and "出处" not in joined(requests)


async def test_greeting_gets_a_greeting(harness: Harness, world: World) -> None:
    text = joined(await harness.send(CADRE_A1_TG, "hello"))
    assert "你好" in text and "出处" not in text


async def test_unknown_command_points_to_help(harness: Harness, world: World) -> None:
    assert "/help" in joined(await harness.send(CADRE_A1_TG, "/nosuchcommand"))


async def test_ask_command_answers(harness: Harness, world: World) -> None:
    assert "优秀团干部" in joined(await harness.send(CADRE_A1_TG, "/ask 优秀团干部怎么评"))


async def test_ask_without_a_question_explains_the_usage(harness: Harness, world: World) -> None:
    assert "/ask 优秀团干部怎么评" in joined(await harness.send(CADRE_A1_TG, "/ask"))


async def _add_study(app: AppContext, member: Member, minutes: int) -> None:
    async with app.sessions() as session:
        session.add(
            StudyLog(
                member_id=member.id, study_date=date(2026, 11, 3), minutes=minutes, content="团章"
            )
        )
        await session.commit()


async def test_my_progress_question_uses_my_data(
    harness: Harness, world: World, app: AppContext
) -> None:
    await _add_study(app, world.cadre_a1, 12 * 60 + 30)
    text = joined(await harness.send(CADRE_A1_TG, "我这个月还差多少小时"))
    assert "已学习 12.5 小时，目标 30 小时" in text
    assert "还差 17.5 小时" in text
    assert "出处" not in text


async def test_my_progress_answer_agrees_with_the_progress_service(
    harness: Harness, world: World, app: AppContext
) -> None:
    await _add_study(app, world.cadre_a1, 100)
    session: AsyncSession
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        p = await progress.month_progress(session, member, app.policy, date(2026, 11, 20))
    text = joined(await harness.send(CADRE_A1_TG, "我学了多少"))
    assert f"本月还剩 {p.days_left} 天" in text


async def test_group_study_question_uses_the_organisations_data(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        session.add(
            GroupStudy(
                org_id=world.branch_a.id,
                study_date=date(2026, 11, 5),
                half_days=1,
                minutes=180,
                topic="团章",
            )
        )
        await session.commit()
    text = joined(await harness.send(SECRETARY_A_TG, "我们支部集体学习够了吗"))
    assert "已集中学习 1 个半天，要求 2 个半天" in text
    assert "还需集中学习 1 个半天" in text


async def test_personal_question_from_a_stranger_gets_the_join_hint(harness: Harness) -> None:
    requests = await harness.send(STRANGER_TG, "我这个月还差多少小时")
    assert "邀请链接" in joined(requests)
    assert all(isinstance(request, SendMessage) for request in requests)


async def test_answer_question_can_be_called_by_another_feature(
    harness: Harness, world: World, app: AppContext
) -> None:
    """The check-in feature's "this is a question" button calls it with the bot's message."""
    message = harness.message(CADRE_A1_TG, "每月自学2小时").as_(harness.bot)
    before = len(harness.session.requests)
    async with app.sessions() as session:
        with i18n_context(app.i18n, "en"):
            await criteria.answer_question(
                message, "优秀团干怎么评", member=None, session=session, app=app, locale="en"
            )
    assert "Excellent League Cadre" in joined(harness.session.requests[before:])
