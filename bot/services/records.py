"""Rows that are created once per idempotency key and audited when others change them.

Framework-free; shared by the group-study and exchange-meeting services.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog, Member


class Authored(Protocol):
    id: int | None
    org_id: int
    created_by_id: int | None


R = TypeVar("R", bound=SQLModel)


async def by_key(session: AsyncSession, model: type[R], key: str) -> R | None:
    """The row of `model` stored under the idempotency key, if any."""
    column = model.idempotency_key  # type: ignore[attr-defined]
    return (await session.exec(select(model).where(column == key))).first()


async def insert_once(session: AsyncSession, row: R) -> tuple[R, bool]:
    """Flushes a new row; if its key was stored meanwhile, returns that row and False."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # the same draft saved concurrently: the other one won
        await session.rollback()
        existing = await by_key(session, type(row), row.idempotency_key)  # type: ignore[attr-defined]
        if existing is None:
            raise
        return existing, False
    return row, True


def audit_change(
    session: AsyncSession,
    actor: Member,
    entity: str,
    row: Authored,
    action: str,
    **details: object,
) -> None:
    """Records a change by anyone other than the row's author (the caller commits)."""
    if actor.id != row.created_by_id:
        session.add(
            AuditLog(
                actor_id=actor.id,
                action=action,
                entity=entity,
                entity_id=row.id,
                details={"org_id": row.org_id, "author_id": row.created_by_id, **details},
            )
        )
