"""Group study (集体学习) of an organisation's leadership team (framework-free).

Only secretaries and admins record it, for organisations in their subtree; the attendees
are the organisation's own active members. Changes by someone other than the author are
written to the audit log.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy
from bot.services.orgs import manageable_org
from bot.services.progress import org_group_half_days
from bot.services.records import audit_change, by_key, insert_once
from storage.models import GroupStudy, GroupStudyAttendee, Member, Organization

TOPIC_MAX = 200
SUMMARY_MAX = 1000
MAX_HOURS = 24


class GroupStudyProblem(StrEnum):
    NOT_ALLOWED = "not_allowed"  # out of the actor's scope, or a forged id
    NOT_FOUND = "not_found"
    FUTURE_DATE = "future_date"
    OUTSIDE_WINDOW = "outside_window"
    NO_ATTENDEES = "no_attendees"
    FOREIGN_ATTENDEE = "foreign_attendee"
    BAD_LENGTH = "bad_length"
    BAD_TOPIC = "bad_topic"
    BAD_SUMMARY = "bad_summary"


class GroupStudyError(Exception):
    def __init__(self, problem: GroupStudyProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class StudyLength:
    half_days: float
    minutes: int


def length_of_half_days(half_days: int, policy: StudyPolicy) -> StudyLength:
    """A half day (1) or a full day (2)."""
    return StudyLength(float(half_days), half_days * policy.half_day_minutes)


def length_of_hours(hours: float, policy: StudyPolicy) -> StudyLength:
    """Typed hours: rounded half up to the nearest 0.5 half-day, at least 0.5.

    With 3-hour half days, 3.5 h is 1 half-day, 4.5 h is 1.5, 1 h is 0.5. The minutes
    keep what was typed.
    """
    if not math.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise GroupStudyError(GroupStudyProblem.BAD_LENGTH)
    minutes = round(hours * 60)
    steps = math.floor(minutes / policy.half_day_minutes * 2 + 0.5)
    return StudyLength(max(steps, 1) / 2, minutes)


@dataclass(frozen=True)
class GroupStudyDraft:
    org_id: int
    study_date: date
    length: StudyLength
    topic: str
    summary: str
    attendee_ids: frozenset[int]
    idempotency_key: str


@dataclass(frozen=True)
class GroupMonthStatus:
    org: Organization
    month: Month
    half_days: float
    required: int
    sessions: list[tuple[GroupStudy, int]]  # (session, number of attendees)

    @property
    def reached(self) -> bool:
        return self.half_days >= self.required


def check_text(topic: str, summary: str) -> None:
    if not topic.strip() or len(topic) > TOPIC_MAX:
        raise GroupStudyError(GroupStudyProblem.BAD_TOPIC)
    if len(summary) > SUMMARY_MAX:
        raise GroupStudyError(GroupStudyProblem.BAD_SUMMARY)


def check_day(day: date, today: date, policy: StudyPolicy) -> None:
    if day > today:
        raise GroupStudyError(GroupStudyProblem.FUTURE_DATE)
    if not policy.is_editable(day, today):
        raise GroupStudyError(GroupStudyProblem.OUTSIDE_WINDOW)


async def org_members(session: AsyncSession, org_id: int) -> list[Member]:
    """Who can be ticked as an attendee: the organisation's own active members."""
    result = await session.exec(
        select(Member)
        .where(Member.org_id == org_id, col(Member.active).is_(True))
        .order_by(Member.name, Member.id)
    )
    return list(result.all())


async def _check_attendees(session: AsyncSession, org_id: int, ids: Collection[int]) -> None:
    if not ids:
        raise GroupStudyError(GroupStudyProblem.NO_ATTENDEES)
    allowed = {member.id for member in await org_members(session, org_id)}
    if not set(ids) <= allowed:
        raise GroupStudyError(GroupStudyProblem.FOREIGN_ATTENDEE)


async def _org_in_scope(session: AsyncSession, actor: Member, org_id: int) -> Organization:
    org = await manageable_org(session, actor, org_id)
    if org is None:
        raise GroupStudyError(GroupStudyProblem.NOT_ALLOWED)
    return org


async def record(
    session: AsyncSession, actor: Member, draft: GroupStudyDraft, policy: StudyPolicy, today: date
) -> tuple[GroupStudy, bool]:
    """Stores the session once; returns (row, created). A repeated key returns the first row."""
    existing = await by_key(session, GroupStudy, draft.idempotency_key)
    if existing is not None:
        return existing, False
    await _org_in_scope(session, actor, draft.org_id)
    check_day(draft.study_date, today, policy)
    check_text(draft.topic, draft.summary)
    await _check_attendees(session, draft.org_id, draft.attendee_ids)
    study = GroupStudy(
        org_id=draft.org_id,
        study_date=draft.study_date,
        half_days=draft.length.half_days,
        minutes=draft.length.minutes,
        topic=draft.topic.strip(),
        summary=draft.summary.strip(),
        idempotency_key=draft.idempotency_key,
        created_by_id=actor.id,
    )
    study, created = await insert_once(session, study)
    if not created:
        return study, False
    session.add_all(
        GroupStudyAttendee(group_study_id=study.id, member_id=member_id)
        for member_id in sorted(draft.attendee_ids)
    )
    await session.commit()
    return study, True


async def editable_study(
    session: AsyncSession, actor: Member, study_id: int, policy: StudyPolicy, today: date
) -> GroupStudy:
    """The session if `actor` may change it now (scope and editable window)."""
    study = await session.get(GroupStudy, study_id)
    if study is None:
        raise GroupStudyError(GroupStudyProblem.NOT_FOUND)
    await _org_in_scope(session, actor, study.org_id)
    if not policy.is_editable(study.study_date, today):
        raise GroupStudyError(GroupStudyProblem.OUTSIDE_WINDOW)
    return study


async def attendee_ids(session: AsyncSession, study_id: int) -> set[int]:
    result = await session.exec(
        select(GroupStudyAttendee.member_id).where(GroupStudyAttendee.group_study_id == study_id)
    )
    return set(result.all())


async def update(
    session: AsyncSession,
    actor: Member,
    study_id: int,
    policy: StudyPolicy,
    today: date,
    now: datetime,
    *,
    topic: str | None = None,
    summary: str | None = None,
    attendees: Collection[int] | None = None,
    length: StudyLength | None = None,
) -> GroupStudy:
    """Changes topic, summary, attendees or length of an editable session."""
    study = await editable_study(session, actor, study_id, policy, today)
    before: dict[str, object] = {}
    if topic is not None or summary is not None:
        check_text(topic if topic is not None else study.topic, summary or "")
    if topic is not None:
        before["topic"], study.topic = study.topic, topic.strip()
    if summary is not None:
        before["summary"], study.summary = study.summary, summary.strip()
    if attendees is not None:
        await _check_attendees(session, study.org_id, attendees)
        before["attendees"] = sorted(await attendee_ids(session, study_id))
        await session.exec(
            delete(GroupStudyAttendee).where(col(GroupStudyAttendee.group_study_id) == study_id)
        )  # type: ignore[call-overload]
        session.add_all(
            GroupStudyAttendee(group_study_id=study_id, member_id=member_id)
            for member_id in sorted(attendees)
        )
    if length is not None:
        before["half_days"], before["minutes"] = study.half_days, study.minutes
        study.half_days, study.minutes = length.half_days, length.minutes
    study.updated_at = now
    session.add(study)
    audit_change(session, actor, "group_study", study, "edit", before=before)
    await session.commit()
    return study


async def remove(
    session: AsyncSession, actor: Member, study_id: int, policy: StudyPolicy, today: date
) -> GroupStudy:
    study = await editable_study(session, actor, study_id, policy, today)
    audit_change(
        session,
        actor,
        "group_study",
        study,
        "delete",
        study_date=study.study_date.isoformat(),
        topic=study.topic,
        half_days=study.half_days,
    )
    await session.exec(
        delete(GroupStudyAttendee).where(col(GroupStudyAttendee.group_study_id) == study_id)
    )  # type: ignore[call-overload]
    await session.delete(study)
    await session.commit()
    return study


async def month_status(
    session: AsyncSession, org: Organization, month: Month, policy: StudyPolicy
) -> GroupMonthStatus:
    """Half-days done against the requirement, with the month's sessions."""
    result = await session.exec(
        select(GroupStudy, func.count(col(GroupStudyAttendee.member_id)))
        .join(
            GroupStudyAttendee,
            col(GroupStudyAttendee.group_study_id) == col(GroupStudy.id),
            isouter=True,
        )
        .where(
            GroupStudy.org_id == org.id,
            col(GroupStudy.study_date).between(month.first_day, month.last_day),
        )
        .group_by(col(GroupStudy.id))
        .order_by(col(GroupStudy.study_date), col(GroupStudy.id))
    )
    sessions = [(study, int(count)) for study, count in result.all()]
    assert org.id is not None
    half_days = await org_group_half_days(session, org.id, month)
    return GroupMonthStatus(org, month, half_days, policy.group_half_days, sessions)
