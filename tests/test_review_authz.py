"""Review findings: forged or out-of-range callback data, group chats, month edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update

from bot.context import AppContext
from bot.keyboards.checkin import EntryAction, EntryCb, EntryDayCb
from bot.keyboards.group_study import GsAction, GsCb
from bot.keyboards.ids import MAX_ROW_ID
from bot.keyboards.meetings import HostCb, MtAction, MtCb
from bot.keyboards.onboarding import InviteOrgCb, InviteRoleCb, MemberAction, RevokeCb
from bot.keyboards.onboarding import MemberCb as OnboardingMemberCb
from bot.keyboards.stats import MemberCb as StatsMemberCb
from bot.keyboards.stats import StatsAction, StatsCb
from bot.services.invites import MAX_DAYS, MAX_USES
from storage.models import GroupStudy, Role
from tests.support.factories import ADMIN_TG, CADRE_A1_TG, SECRETARY_A_TG, World
from tests.support.harness import Harness, buttons, joined, texts
from tests.support.mocked_bot import BOT_USER

FAILED = "出了点问题"
STALE = "按钮已失效"


async def press_in_group(harness: Harness, user_id: int, data: str) -> list[TelegramMethod[Any]]:
    """A tap (possibly forged) on a bot message in the group chat."""
    query = CallbackQuery(
        id="g1",
        from_user=harness.user(user_id),
        chat_instance="group",
        data=data,
        message=Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=harness.group_chat_id, type="supergroup", title="团支部群"),
            from_user=BOT_USER,
            text="…",
        ),
    )
    return await harness.feed(Update(update_id=10**6, callback_query=query))


def sent_to(requests: list[TelegramMethod[Any]], chat_id: int) -> list[str]:
    return [
        text
        for request in requests
        if getattr(request, "chat_id", None) == chat_id
        for text in texts([request])
    ]


async def test_member_card_tapped_in_group_is_not_posted_there(harness: Harness, world: World):
    sent = await press_in_group(harness, SECRETARY_A_TG, f"stm:{world.cadre_a1.id}:2026-11")
    assert not sent_to(sent, harness.group_chat_id)
    assert "私聊" in joined(sent)


async def test_org_stats_tapped_in_group_are_not_shown_there(harness: Harness, world: World):
    sent = await press_in_group(harness, ADMIN_TG, f"sts:v:{world.city.id}:2026-11")
    assert not sent_to(sent, harness.group_chat_id)
    assert not [request for request in sent if type(request).__name__ == "EditMessageText"]


async def test_criteria_button_still_works_in_group(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/criteria", group=True)
    data = next(d for _text, d in buttons(sent) if d.startswith("kb:"))
    sent = await press_in_group(harness, CADRE_A1_TG, data)
    assert "私聊" not in joined(sent) and FAILED not in joined(sent)


async def test_study_log_id_beyond_the_column_is_a_stale_button(harness: Harness, world: World):
    sent = await harness.press(CADRE_A1_TG, f"cke:d:{2**63}")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_meeting_id_beyond_the_column_is_a_stale_button(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, f"mt:v:{10**30}:0:0")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_group_study_id_beyond_the_column_is_a_stale_button(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, f"gs:v:{2**31}:0")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_invite_id_beyond_the_column_is_a_stale_button(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, f"ivx:{2**63}")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_unparseable_meeting_button_is_answered(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, "mt:v:abc:0:0")
    assert STALE in joined(sent)


async def test_unparseable_group_study_button_is_answered(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, "gs:v:abc:0")
    assert STALE in joined(sent)


async def test_unparseable_stats_button_is_answered(harness: Harness, world: World):
    sent = await harness.press(ADMIN_TG, "sts:v:abc:2026-11")
    assert STALE in joined(sent)


async def test_history_of_the_first_month_is_refused_not_crashed(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/history 2000-01")
    assert "/history 2026-10" in joined(sent) and FAILED not in joined(sent)


async def test_history_button_of_the_first_month_is_stale(harness: Harness, world: World):
    sent = await harness.press(CADRE_A1_TG, "ckh:2000-01:0")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_stats_of_the_first_month_is_refused_not_crashed(harness: Harness, world: World):
    sent = await harness.send(ADMIN_TG, "/stats 2000-01")
    assert "2001-01" in joined(sent) and FAILED not in joined(sent)


async def test_member_history_of_an_early_month_is_refused(harness: Harness, world: World):
    sent = await harness.send(ADMIN_TG, "/member 张三 2000-03")
    assert "2001-01" in joined(sent) and FAILED not in joined(sent)


async def test_stats_button_of_the_first_month_is_stale(harness: Harness, world: World):
    sent = await harness.press(ADMIN_TG, f"sts:v:{world.city.id}:2000-01")
    assert STALE in joined(sent) and FAILED not in joined(sent)


async def test_a_400_digit_duration_is_answered_not_crashed(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "学习 " + "1" * 400 + " 分钟 团章")
    assert sent and FAILED not in joined(sent)


async def test_a_huge_chinese_duration_with_a_half_is_too_long(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/log " + "九" * 400 + "个半小时 团章")
    assert sent and FAILED not in joined(sent)


async def add_group_studies(app: AppContext, world: World, count: int) -> None:
    async with app.sessions() as session:
        for number in range(count):
            session.add(
                GroupStudy(
                    org_id=world.branch_a.id,
                    study_date=date(2026, 11, 1 + number % 20),
                    half_days=1,
                    minutes=180,
                    topic=f"{number:02d}" + "团" * 198,
                    created_by_id=world.secretary_a.id,
                )
            )
        await session.commit()


def within_telegram_limits(requests: list[TelegramMethod[Any]]) -> bool:
    return all(len(text) <= 4096 for text in texts(requests)) and len(buttons(requests)) <= 100


async def test_group_status_with_many_long_topics_fits_telegram(
    app: AppContext, harness: Harness, world: World
):
    await add_group_studies(app, world, 30)
    sent = await harness.send(SECRETARY_A_TG, "/group")
    assert within_telegram_limits(sent)
    assert "29" + "团" in joined(sent)  # the last session is still listed


async def test_group_status_tapped_with_many_long_topics_fits_telegram(
    app: AppContext, harness: Harness, world: World
):
    await add_group_studies(app, world, 30)
    sent = await harness.press(SECRETARY_A_TG, f"gs:s:{world.branch_a.id}:0")
    assert within_telegram_limits(sent)
    assert sum(type(r).__name__ == "AnswerCallbackQuery" for r in sent) == 1


async def test_members_page_beyond_an_sql_offset_is_a_stale_button(harness: Harness, world: World):
    sent = await harness.press(ADMIN_TG, f"mb:pg:0:{2**62}:")
    assert STALE in joined(sent) and FAILED not in joined(sent)


def test_callback_data_with_the_largest_ids_fits_64_bytes():
    top, role, month = MAX_ROW_ID, Role.SECRETARY, "2026-11"
    data = [
        EntryCb(action=EntryAction.DELETE_OK, log_id=top),
        EntryDayCb(log_id=top, day=date(2026, 11, 30).toordinal()),
        InviteRoleCb(org_id=top, role=role, uses=MAX_USES, days=MAX_DAYS),
        InviteOrgCb(org_id=top, uses=MAX_USES, days=MAX_DAYS),
        RevokeCb(invite_id=top),
        OnboardingMemberCb(
            action=MemberAction.REMOVE_CONFIRMED, member_id=top, page=top, role=role
        ),
        MtCb(action=MtAction.CANCEL_CONFIRM, meeting_id=top, member_id=top, page=10**6),
        HostCb(org_id=top),
        GsCb(action=GsAction.DELETE_CONFIRM, id=top, page=10**6),
        StatsCb(action=StatsAction.NUDGE, org_id=top, month=month),
        StatsMemberCb(member_id=top, month=month),
    ]
    assert all(len(item.pack().encode()) <= 64 for item in data)


async def test_unparseable_criteria_button_is_answered(harness: Harness, world: World):
    sent = await harness.press(CADRE_A1_TG, "kb:zz:x")
    assert STALE in joined(sent)
