from datetime import UTC, datetime

from sqlmodel import func, select

from bot.context import AppContext
from scheduler.outbox import OutboxMessage, enqueue
from storage.models import Outbox


def _message(chat_id: int) -> OutboxMessage:
    return OutboxMessage(
        chat_id=chat_id,
        member_id=None,
        kind="month_start",
        period_key="2026-11",
        text_key="month_start",
        args={},
        not_before=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )


async def test_enqueue_twice_adds_each_recipient_once(any_app: AppContext) -> None:
    async with any_app.sessions() as session:
        assert await enqueue(session, [_message(1), _message(2)]) == 2
        await session.commit()
    async with any_app.sessions() as session:
        assert await enqueue(session, [_message(2), _message(3)]) == 1
        await session.commit()
        count = (await session.exec(select(func.count()).select_from(Outbox))).one()
    assert count == 3
