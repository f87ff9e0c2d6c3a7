"""Bulk reads the reminder jobs need: one statement each, whatever the number of members.

`bot.services.progress` answers the same questions for one member; these aggregate the
same tables the same way (personal minutes, plus attended group study when the policy
counts it) for everybody at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy
from storage.models import (
    GroupStudy,
    GroupStudyAttendee,
    Meeting,
    MeetingReply,
    MeetingShare,
    MeetingStatus,
    Member,
    MemberLeave,
    Organization,
    Outbox,
    ReplyAnswer,
    Role,
    StudyLog,
)


@dataclass(frozen=True)
class Person:
    """An active member as the reminder jobs see them."""

    id: int
    telegram_id: int
    name: str
    org_id: int
    org_name: str
    org_path: str
    role: Role
    reminders_enabled: bool
    joined_at: datetime

    def in_subtree(self, path: str) -> bool:
        return self.org_path.startswith(path)


async def active_people(session: AsyncSession, root: Organization | None = None) -> list[Person]:
    """Active members (of `root`'s subtree when given), ordered by organisation and name."""
    statement = (
        select(Member, Organization.name, Organization.path)
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .where(col(Member.active).is_(True))
        .order_by(col(Organization.path), col(Member.name), col(Member.id))
    )
    if root is not None:
        statement = statement.where(col(Organization.path).startswith(root.path))
    rows = (await session.exec(statement)).all()
    return [
        Person(
            id=member.id,
            telegram_id=member.telegram_id,
            name=member.name,
            org_id=member.org_id,
            org_name=org_name,
            org_path=org_path,
            role=member.role,
            reminders_enabled=member.reminders_enabled,
            joined_at=member.joined_at,
        )
        for member, org_name, org_path in rows
        if member.id is not None
    ]


async def on_leave(session: AsyncSession, month: Month) -> set[int]:
    rows = await session.exec(select(MemberLeave.member_id).where(MemberLeave.month == month.key))
    return set(rows.all())


async def month_minutes(session: AsyncSession, month: Month, policy: StudyPolicy) -> dict[int, int]:
    """Member id → study minutes of the month (members with none are absent)."""
    in_month = col(StudyLog.study_date).between(month.first_day, month.last_day)
    rows = await session.exec(
        select(StudyLog.member_id, func.sum(StudyLog.minutes))
        .where(in_month)
        .group_by(col(StudyLog.member_id))
    )
    minutes: dict[int, int] = defaultdict(int)
    for member_id, total in rows.all():
        minutes[member_id] += int(total or 0)
    if policy.group_study_counts_personal:
        group_rows = await session.exec(
            select(GroupStudyAttendee.member_id, func.sum(GroupStudy.minutes))
            .join(GroupStudy, col(GroupStudy.id) == col(GroupStudyAttendee.group_study_id))
            .where(col(GroupStudy.study_date).between(month.first_day, month.last_day))
            .group_by(col(GroupStudyAttendee.member_id))
        )
        for member_id, total in group_rows.all():
            minutes[member_id] += int(total or 0)
    return dict(minutes)


async def group_half_days(session: AsyncSession, month: Month) -> dict[int, float]:
    """Organisation id → half-days of group study held in the month."""
    rows = await session.exec(
        select(GroupStudy.org_id, func.sum(GroupStudy.half_days))
        .where(col(GroupStudy.study_date).between(month.first_day, month.last_day))
        .group_by(col(GroupStudy.org_id))
    )
    return {org_id: float(total or 0) for org_id, total in rows.all()}


async def sent_nudges(
    session: AsyncSession, month: Month, kinds: tuple[str, ...]
) -> dict[int, int]:
    """Member id → nudges already queued this month (the escalation bound)."""
    rows = await session.exec(
        select(Outbox.member_id, func.count())
        .where(
            col(Outbox.kind).in_(kinds),
            col(Outbox.period_key).startswith(month.key),
            col(Outbox.member_id).is_not(None),
        )
        .group_by(col(Outbox.member_id))
    )
    return {member_id: int(count) for member_id, count in rows.all() if member_id is not None}


async def upcoming_meetings(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[Meeting, str]]:
    """Scheduled meetings starting in (start, end], with their host's path."""
    rows = await session.exec(
        select(Meeting, Organization.path)
        .join(Organization, col(Organization.id) == col(Meeting.org_id))
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) > start,
            col(Meeting.starts_at) <= end,
        )
        .order_by(col(Meeting.starts_at))
    )
    return list(rows.all())


async def replies(session: AsyncSession, meeting_id: int) -> dict[int, ReplyAnswer]:
    rows = await session.exec(
        select(MeetingReply.member_id, MeetingReply.answer).where(
            MeetingReply.meeting_id == meeting_id
        )
    )
    return {member_id: ReplyAnswer(answer) for member_id, answer in rows.all()}


async def share_authors(session: AsyncSession, meeting_id: int) -> set[int]:
    rows = await session.exec(
        select(MeetingShare.member_id).where(MeetingShare.meeting_id == meeting_id)
    )
    return set(rows.all())
