"""Writing to the outbox: the one way any feature asks for a message to be pushed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Outbox, utcnow


@dataclass(frozen=True)
class OutboxMessage:
    """A message for one recipient; (chat_id, kind, period_key) makes it unique."""

    chat_id: int
    member_id: int | None
    kind: str
    period_key: str
    text_key: str
    args: dict[str, Any]
    # From the caller's injected clock: the sender sends nothing before it.
    not_before: datetime


async def enqueue(session: AsyncSession, messages: Sequence[OutboxMessage]) -> int:
    """Adds the messages not queued before, in one statement; returns how many were new.

    The caller commits, so a job's whole batch lands in one transaction or not at all.
    """
    if not messages:
        return 0
    now = utcnow()
    rows = [
        {
            "chat_id": message.chat_id,
            "member_id": message.member_id,
            "kind": message.kind,
            "period_key": message.period_key,
            "text_key": message.text_key,
            "args": message.args,
            "not_before": message.not_before,
            "created_at": now,
            "status": "pending",
            "attempts": 0,
        }
        for message in messages
    ]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Outbox)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chat_id", "kind", "period_key"])
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount or 0
