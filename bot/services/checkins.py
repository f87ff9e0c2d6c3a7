"""Personal study check-ins: record, undo, edit and delete a StudyLog (framework-free).

A one-shot check-in is one INSERT that checks the idempotency key and the 24-hours-a-day
limit and returns the month's new total, then the COMMIT: on SQLite both run directly on
a sqlite3 connection (storage/sqlite_direct.py), on PostgreSQL two round trips through the
session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, String, bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy
from bot.services.progress import member_minutes_expression, minutes_expression
from storage.models import StudyLog
from storage.sqlite_direct import execute_commit
from storage.types import UTCDateTime

CONTENT_MIN_CHARS = 2
CONTENT_MAX_CHARS = 500


class CheckinProblem(StrEnum):
    ZERO = "zero"
    TOO_LONG = "too_long"
    DAY_LIMIT = "day_limit"
    FUTURE = "future"
    LOCKED = "locked"
    CONTENT_SHORT = "content_short"
    CONTENT_LONG = "content_long"
    NOT_FOUND = "not_found"


class CheckinError(Exception):
    """Why a check-in or a change was refused; nothing was stored."""

    def __init__(self, problem: CheckinProblem, *, day_minutes: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.day_minutes = day_minutes  # already logged that day (DAY_LIMIT)


@dataclass(frozen=True)
class Saved:
    log_id: int
    minutes: int
    content: str
    study_date: date
    month_minutes: int
    duplicate: bool = False  # the same update or Save tap was handled before


def check_minutes(minutes: int, policy: StudyPolicy) -> int:
    """Minutes of one entry: more than zero, at most a day."""
    if minutes <= 0:
        raise CheckinError(CheckinProblem.ZERO)
    if minutes > policy.max_minutes_per_day:
        raise CheckinError(CheckinProblem.TOO_LONG)
    return minutes


def clean_content(text: str | None) -> str:
    """What was studied, trimmed; 2–500 characters."""
    content = (text or "").strip()
    if len(content) < CONTENT_MIN_CHARS:
        raise CheckinError(CheckinProblem.CONTENT_SHORT)
    if len(content) > CONTENT_MAX_CHARS:
        raise CheckinError(CheckinProblem.CONTENT_LONG)
    return content


def check_day(day: date, today: date, policy: StudyPolicy) -> date:
    """Not in the future and inside the editable window."""
    if day > today:
        raise CheckinError(CheckinProblem.FUTURE)
    if not policy.is_editable(day, today):
        raise CheckinError(CheckinProblem.LOCKED)
    return day


def _day_minutes(member_id: Any, day: Any, exclude_id: int | None = None) -> ColumnElement[int]:
    query = select(func.coalesce(func.sum(StudyLog.minutes), 0)).where(
        StudyLog.member_id == member_id, StudyLog.study_date == day
    )
    if exclude_id is not None:
        query = query.where(StudyLog.id != exclude_id)
    return query.scalar_subquery()


@cache
def _insert_statement(dialect: str, with_group_study: bool) -> ReturningInsert[Any]:
    """INSERT … SELECT … WHERE the day has room ON CONFLICT (key) DO NOTHING RETURNING
    the id and the month's new total. Built once per shape: building and cache-keying
    the statement per check-in cost more than running it."""
    p = {
        name: bindparam(name, type_=type_)
        for name, type_ in [
            ("member_id", Integer()),
            ("day", Date()),
            ("minutes", Integer()),
            ("content", String()),
            ("key", String()),
            ("now", UTCDateTime()),
            ("max_day", Integer()),
            ("first_day", Date()),
            ("last_day", Date()),
        ]
    }
    row = select(
        p["member_id"], p["day"], p["minutes"], p["content"], p["key"], p["now"], p["now"]
    ).where(_day_minutes(p["member_id"], p["day"]) + p["minutes"] <= p["max_day"])
    month_total = minutes_expression(
        p["member_id"], p["first_day"], p["last_day"], with_group_study=with_group_study
    )
    if dialect != "sqlite":
        # SQLite evaluates RETURNING after the row is stored (as an AFTER trigger), so its
        # subquery counts the new entry; PostgreSQL's sees the table before the statement.
        month_total = month_total + p["minutes"]
    columns = ["member_id", "study_date", "minutes", "content", "idempotency_key"]
    # The Core table, not the entity: an ORM insert with parameters would be a bulk insert.
    table = StudyLog.__table__  # type: ignore[attr-defined]
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return (
        insert.from_select([*columns, "created_at", "updated_at"], row)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id, month_total)
    )


async def record_checkin(
    session: AsyncSession,
    member_id: int,
    *,
    minutes: int,
    content: str,
    day: date,
    today: date,
    policy: StudyPolicy,
    key: str,
    now: datetime,
) -> Saved:
    """Stores one entry once per `key` and commits; CheckinError if it is not allowed."""
    check_minutes(minutes, policy)
    content = clean_content(content)
    check_day(day, today, policy)
    month = Month.of(day)
    statement = _insert_statement(
        session.get_bind().dialect.name, policy.group_study_counts_personal
    )
    params = {
        "member_id": member_id,
        "day": day,
        "minutes": minutes,
        "content": content,
        "key": key,
        "now": now,
        "max_day": policy.max_minutes_per_day,
        "first_day": month.first_day,
        "last_day": month.last_day,
    }
    inserted = await execute_commit(session, statement, params)
    if inserted is not None:
        return Saved(inserted[0], minutes, content, day, int(inserted[1]))
    # Nothing inserted: the key was used before (a redelivery), or the day is full.
    existing = select(StudyLog.id).where(StudyLog.idempotency_key == key).scalar_subquery()
    month_minutes, day_minutes, existing_id = (
        await session.exec(
            select(  # type: ignore[call-overload]
                member_minutes_expression(member_id, month, policy),
                _day_minutes(member_id, day),
                existing,
            )
        )
    ).one()
    await session.rollback()
    if existing_id is not None:
        return Saved(existing_id, minutes, content, day, int(month_minutes), duplicate=True)
    raise CheckinError(CheckinProblem.DAY_LIMIT, day_minutes=int(day_minutes))


async def saved_under_key(session: AsyncSession, member_id: int, key: str) -> StudyLog | None:
    """The member's entry stored under `key` (a second tap on Save finds it)."""
    result = await session.exec(
        select(StudyLog).where(StudyLog.idempotency_key == key, StudyLog.member_id == member_id)
    )
    return result.first()


async def own_log(session: AsyncSession, member_id: int, log_id: int) -> StudyLog | None:
    """The entry if it is the member's own; forged or foreign ids give None."""
    log = await session.get(StudyLog, log_id)
    return log if log is not None and log.member_id == member_id else None


async def _editable_log(
    session: AsyncSession, member_id: int, log_id: int, today: date, policy: StudyPolicy
) -> StudyLog:
    log = await own_log(session, member_id, log_id)
    if log is None:
        raise CheckinError(CheckinProblem.NOT_FOUND)
    if not policy.is_editable(log.study_date, today):
        raise CheckinError(CheckinProblem.LOCKED)
    return log


async def delete_checkin(
    session: AsyncSession, member_id: int, log_id: int, today: date, policy: StudyPolicy
) -> StudyLog:
    """Removes the member's own entry while its day is editable (undo and delete)."""
    log = await _editable_log(session, member_id, log_id, today, policy)
    await session.delete(log)
    await session.commit()
    return log


async def update_checkin(
    session: AsyncSession,
    member_id: int,
    log_id: int,
    *,
    today: date,
    policy: StudyPolicy,
    now: datetime,
    minutes: int | None = None,
    content: str | None = None,
    day: date | None = None,
) -> StudyLog:
    """Changes the duration, content or day of the member's own editable entry."""
    log = await _editable_log(session, member_id, log_id, today, policy)
    new_minutes = check_minutes(minutes, policy) if minutes is not None else log.minutes
    new_day = check_day(day, today, policy) if day is not None else log.study_date
    if minutes is not None or day is not None:
        others = (
            await session.exec(select(_day_minutes(member_id, new_day, exclude_id=log.id)))
        ).one()
        if int(others) + new_minutes > policy.max_minutes_per_day:
            raise CheckinError(CheckinProblem.DAY_LIMIT, day_minutes=int(others))
    log.minutes = new_minutes
    log.study_date = new_day
    if content is not None:
        log.content = clean_content(content)
    log.updated_at = now
    session.add(log)
    await session.commit()
    return log


async def month_logs(session: AsyncSession, member_id: int, month: Month) -> list[StudyLog]:
    """The member's entries of the month, oldest first."""
    result = await session.exec(
        select(StudyLog)
        .where(
            StudyLog.member_id == member_id,
            col(StudyLog.study_date).between(month.first_day, month.last_day),
        )
        .order_by(col(StudyLog.study_date), col(StudyLog.id))
    )
    return list(result.all())
