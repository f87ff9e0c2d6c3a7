"""Month progress of a member and group study of an organisation (framework-free).

Every feature that shows study figures (check-in, /me, statistics, reminders, criteria)
computes them here, so the numbers agree everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, Progress, StudyPolicy
from storage.models import GroupStudy, GroupStudyAttendee, Member, MemberLeave, StudyLog


def member_minutes_expression(
    member_id: int, month: Month, policy: StudyPolicy
) -> ColumnElement[int]:
    """A scalar SQL expression for the member's month minutes (statistics reuse it)."""
    return minutes_expression(
        member_id,
        month.first_day,
        month.last_day,
        with_group_study=policy.group_study_counts_personal,
    )


def minutes_expression(
    member_id: Any, first_day: Any, last_day: Any, *, with_group_study: bool
) -> ColumnElement[int]:
    """Study minutes of a member between two days, from values or `bindparam()`s."""
    personal_query = select(func.coalesce(func.sum(StudyLog.minutes), 0)).where(
        StudyLog.member_id == member_id, col(StudyLog.study_date).between(first_day, last_day)
    )
    personal = personal_query.scalar_subquery()
    if not with_group_study:
        return personal
    group = (
        select(func.coalesce(func.sum(GroupStudy.minutes), 0))
        .join(GroupStudyAttendee, col(GroupStudyAttendee.group_study_id) == col(GroupStudy.id))
        .where(
            GroupStudyAttendee.member_id == member_id,
            col(GroupStudy.study_date).between(first_day, last_day),
        )
        .scalar_subquery()
    )
    return personal + group


async def member_month_minutes(
    session: AsyncSession, member_id: int, month: Month, policy: StudyPolicy
) -> int:
    """Personal study minutes of the local month (plus attended group study if it counts)."""
    result = await session.exec(select(member_minutes_expression(member_id, month, policy)))
    return int(result.one() or 0)


async def month_progress(
    session: AsyncSession,
    member: Member,
    policy: StudyPolicy,
    today: date,
    month: Month | None = None,
) -> Progress:
    """The member's month (this month by default) against the target."""
    month = month or Month.of(today)
    assert member.id is not None
    done = await member_month_minutes(session, member.id, month, policy)
    return Progress(
        month=month, done_minutes=done, target_minutes=policy.target_minutes, today=today
    )


async def org_group_half_days(session: AsyncSession, org_id: int, month: Month) -> float:
    """Half-days of group study the organisation held in the month."""
    result = await session.exec(
        select(func.coalesce(func.sum(GroupStudy.half_days), 0)).where(
            GroupStudy.org_id == org_id,
            col(GroupStudy.study_date).between(month.first_day, month.last_day),
        )
    )
    return float(result.one() or 0)


async def is_on_leave(session: AsyncSession, member_id: int, month: Month) -> bool:
    """True if the member is excused from the month's targets."""
    result = await session.exec(
        select(MemberLeave.id).where(
            MemberLeave.member_id == member_id, MemberLeave.month == month.key
        )
    )
    return result.first() is not None
