"""What `/outbox` shows: the queue's state today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Outbox, OutboxStatus


@dataclass(frozen=True)
class OutboxCounts:
    pending: int  # all still waiting, whenever queued
    sent: int  # today
    failed: int  # today
    blocked: int  # today


async def outbox_counts(session: AsyncSession, start: datetime, end: datetime) -> OutboxCounts:
    """Pending overall; sent, failed and blocked with their last attempt in [start, end).

    The sender stores the moment a row was given up in `not_before` (see `OutboxSender`).
    """
    pending = (
        await session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.PENDING)
        )
    ).one()
    when = func.coalesce(col(Outbox.sent_at), col(Outbox.not_before))
    rows = await session.exec(
        select(Outbox.status, func.count())
        .where(col(Outbox.status) != OutboxStatus.PENDING, when >= start, when < end)
        .group_by(col(Outbox.status))
    )
    done = {OutboxStatus(status): int(count) for status, count in rows.all()}
    return OutboxCounts(
        pending=int(pending),
        sent=done.get(OutboxStatus.SENT, 0),
        failed=done.get(OutboxStatus.FAILED, 0),
        blocked=done.get(OutboxStatus.BLOCKED, 0),
    )
