"""Group chats: the bot answers criteria questions only when addressed, never personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiogram.methods import SendMessage
from aiogram.types import Chat, Message

from bot.context import AppContext
from storage.models import StudyLog
from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness, joined
from tests.support.mocked_bot import BOT_USER


def _bot_message(harness: Harness) -> Message:
    return Message(
        message_id=55,
        date=datetime.now(UTC),
        chat=Chat(id=harness.group_chat_id, type="supergroup"),
        from_user=BOT_USER,
        text="📖 …",
    )


async def test_group_question_not_addressed_to_the_bot_is_ignored(
    harness: Harness, world: World
) -> None:
    assert await harness.send(CADRE_A1_TG, "优秀团干部怎么评？", group=True) == []


async def test_group_question_mentioning_the_bot_is_answered_as_a_reply(
    harness: Harness, world: World
) -> None:
    requests = await harness.send(CADRE_A1_TG, "@BranchBot 优秀团干部怎么评？", group=True)
    assert "优秀团干部的基本要求" in joined(requests)
    sent = [r for r in requests if isinstance(r, SendMessage)]
    assert sent and sent[0].chat_id == harness.group_chat_id
    assert sent[0].reply_parameters is not None


async def test_group_reply_to_the_bot_is_answered(harness: Harness, world: World) -> None:
    requests = await harness.send(
        CADRE_A1_TG, "那班子建设呢", group=True, reply_to_message=_bot_message(harness)
    )
    assert "班子建设好" in joined(requests)


async def test_group_ask_command_is_answered(harness: Harness, world: World) -> None:
    text = joined(await harness.send(CADRE_A1_TG, "/ask 社会组织建团率要达到多少", group=True))
    assert "60%以上" in text


async def test_group_personal_question_shows_no_personal_data(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        session.add(
            StudyLog(
                member_id=world.cadre_a1.id,
                study_date=date(2026, 11, 3),
                minutes=750,
                content="团章",
            )
        )
        await session.commit()
    text = joined(await harness.send(CADRE_A1_TG, "@BranchBot 我这个月还差多少小时", group=True))
    assert "私聊" in text
    assert "12.5" not in text and "17.5" not in text


async def test_group_mention_of_another_bot_is_ignored(harness: Harness, world: World) -> None:
    assert await harness.send(CADRE_A1_TG, "@OtherBot 优秀团干部怎么评", group=True) == []


async def test_group_off_topic_mention_gets_the_no_match_answer(
    harness: Harness, world: World
) -> None:
    text = joined(await harness.send(CADRE_A1_TG, "@BranchBot 今天天气怎么样", group=True))
    assert "没有找到" in text
