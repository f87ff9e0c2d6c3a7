"""Month statistics of an organisation subtree (framework-free).

Definitions (the same in /stats, the export and the charts):
- A member is *tracked* for a month if they are an active cadre or secretary of the
  subtree, had joined before the month ended, and are not on leave for it. Admins
  (League committee staff) manage the figures and are not counted. A member who joined
  mid-month has the full target. Members on leave are counted separately.
- A member's month minutes are exactly `progress.member_minutes_expression` (personal
  study, plus attended group study when the policy says it counts), so /me agrees.

The heavy part — summing ~170,000 study entries of a month over 10,000 members — runs in
the database as one GROUP BY statement over a covering index. The per-member rows it
returns (one per member, not per entry) are summarised in one pass.
"""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, text
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy, format_hours
from bot.services.orgs import children
from bot.services.progress import member_minutes_expression
from scheduler.outbox import OutboxMessage, enqueue
from storage.models import (
    GroupStudy,
    GroupStudyAttendee,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    Member,
    MemberLeave,
    Organization,
    Role,
    StudyLog,
)

TRACKED_ROLES = (Role.CADRE, Role.SECRETARY)
BEHIND_SHOWN = 10  # /stats lists this many of those behind; the nudge reaches all
TREND_MONTHS = 6
STREAM_CHUNK = 1000


@dataclass(frozen=True, slots=True)  # slots: 10,000 of these per /stats, one object each
class MemberMonth:
    """One member's figures for the month (one row of the database aggregate)."""

    member_id: int
    telegram_id: int
    name: str
    org_id: int
    org_path: str
    role: Role
    minutes: int
    on_leave: bool

    def reached(self, target_minutes: int) -> bool:
        return self.minutes >= target_minutes


@dataclass
class Figures:
    """Counts of one organisation subtree; `minutes` are the tracked members' totals."""

    org_id: int
    name: str
    minutes: list[int] = field(default_factory=list)
    reached: int = 0
    on_leave: int = 0

    @property
    def tracked(self) -> int:
        return len(self.minutes)

    @property
    def completion(self) -> float:
        """Share of tracked members who reached the target (0 when nobody is tracked)."""
        return self.reached / self.tracked if self.tracked else 0.0

    @property
    def average_minutes(self) -> float:
        return sum(self.minutes) / self.tracked if self.tracked else 0.0

    @property
    def median_minutes(self) -> float:
        return float(statistics.median(self.minutes)) if self.minutes else 0.0

    def add(self, row: MemberMonth, target_minutes: int) -> None:
        if row.on_leave:
            self.on_leave += 1
            return
        self.minutes.append(row.minutes)
        self.reached += row.reached(target_minutes)


@dataclass(frozen=True)
class MeetingFigures:
    held: int  # non-cancelled meetings of the organisation that started in the month
    attended: int  # distinct tracked members who checked in at one of them


@dataclass(frozen=True)
class OrgMonthStats:
    month: Month
    org: Organization
    target_minutes: int
    total: Figures
    children: list[Figures]  # ranked: completion, then average, then name
    group_half_days: float
    group_half_days_target: int
    meeting: MeetingFigures
    behind: list[MemberMonth]  # tracked members below target, furthest first
    parent_name: str | None = None


def counted_members(root: Organization | None, month_end: datetime) -> list[ColumnElement[bool]]:
    """Members counted for a month: see the module docstring (joined to Organization)."""
    subtree = [col(Organization.path).startswith(root.path)] if root is not None else []
    return [
        *subtree,
        col(Member.active).is_(True),
        col(Member.role).in_(TRACKED_ROLES),
        col(Member.joined_at) < month_end,
    ]


def _group_minutes(month: Month) -> ColumnElement[int]:
    """Attended group-study minutes of the month, correlated to each member row."""
    return (
        select(func.coalesce(func.sum(GroupStudy.minutes), 0))
        .join(GroupStudyAttendee, col(GroupStudyAttendee.group_study_id) == col(GroupStudy.id))
        .where(
            col(GroupStudyAttendee.member_id) == col(Member.id),
            col(GroupStudy.study_date).between(month.first_day, month.last_day),
        )
        .correlate(Member)
        .scalar_subquery()
    )


def _per_member(
    root: Organization,
    month: Month,
    policy: StudyPolicy,
    bounds: tuple[datetime, datetime],
    *columns: Any,
) -> Select[Any]:
    """`columns` + month minutes + on-leave flag, one row per counted member of the subtree.

    The same rule as `progress.member_month_minutes` (tested against it), as one statement:
    the month's entries of the subtree's members are summed per member first (read from a
    covering index: by date for a whole tree, by member for a branch), then joined to the
    members. Grouping the joined wide rows instead made PostgreSQL sort 178,000 of them on
    disk; a correlated sum per member made it JIT-compile a 750,000-cost plan.
    """
    counted = counted_members(root, bounds[1])
    subtree_members = (
        select(Member.id).join(Organization, col(Organization.id) == col(Member.org_id))
    ).where(*counted)
    totals = (
        select(StudyLog.member_id, func.sum(StudyLog.minutes).label("minutes"))
        .where(
            col(StudyLog.member_id).in_(subtree_members),
            col(StudyLog.study_date).between(month.first_day, month.last_day),
        )
        .group_by(StudyLog.member_id)
        .subquery("month_totals")
    )
    minutes: ColumnElement[int] = func.coalesce(totals.c.minutes, 0)
    if policy.group_study_counts_personal:
        minutes = minutes + _group_minutes(month)
    return (
        select(
            *columns,
            minutes.label("minutes"),
            col(MemberLeave.id).is_not(None).label("on_leave"),
        )
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .outerjoin(  # unique (member_id, month): at most one row per member
            MemberLeave,
            and_(col(MemberLeave.member_id) == col(Member.id), MemberLeave.month == month.key),
        )
        .outerjoin(totals, totals.c.member_id == col(Member.id))
        .where(*counted)
    )


async def iter_member_months(
    session: AsyncSession,
    root: Organization,
    month: Month,
    policy: StudyPolicy,
    bounds: tuple[datetime, datetime],
) -> AsyncIterator[MemberMonth]:
    """Every counted member of the subtree with their month minutes, fewest first."""
    statement = _per_member(
        root,
        month,
        policy,
        bounds,
        Member.id,
        Member.telegram_id,
        Member.name,
        Member.org_id,
        Organization.path,
        Member.role,
    ).order_by(text("minutes"), col(Member.name), col(Member.id))
    # Streamed in chunks and folded as they come: 10,000 rows held at once survived into
    # the oldest GC generation and made every second or third /stats pay for a full
    # collection of the bot's whole heap (+150 ms).
    result = await session.stream(statement)
    async for chunk in result.partitions(STREAM_CHUNK):
        for row in chunk:
            yield MemberMonth(
                member_id=row[0],
                telegram_id=row[1],
                name=row[2],
                org_id=row[3],
                org_path=row[4],
                role=Role(row[5]),
                minutes=int(row[6] or 0),
                on_leave=bool(row[7]),
            )


async def member_months(
    session: AsyncSession,
    root: Organization,
    month: Month,
    policy: StudyPolicy,
    bounds: tuple[datetime, datetime],
) -> list[MemberMonth]:
    """Every counted member of the subtree with their month minutes, fewest first."""
    return [row async for row in iter_member_months(session, root, month, policy, bounds)]


@dataclass(frozen=True)
class MonthTotals:
    tracked: int
    reached: int
    minutes: int

    @property
    def completion(self) -> float:
        return self.reached / self.tracked if self.tracked else 0.0

    @property
    def average_minutes(self) -> float:
        return self.minutes / self.tracked if self.tracked else 0.0


async def month_totals(
    session: AsyncSession,
    root: Organization,
    month: Month,
    policy: StudyPolicy,
    bounds: tuple[datetime, datetime],
) -> MonthTotals:
    """Tracked, reached and total minutes of the subtree, counted by the database."""
    per_member = _per_member(root, month, policy, bounds, Member.id).subquery()
    tracked = per_member.c.on_leave.is_(False)
    result = await session.exec(
        select(
            func.count().filter(tracked),
            func.count().filter(tracked, per_member.c.minutes >= policy.target_minutes),
            func.coalesce(func.sum(per_member.c.minutes).filter(tracked), 0),
        )
    )
    tracked_count, reached, minutes = result.one()
    return MonthTotals(int(tracked_count or 0), int(reached or 0), int(minutes or 0))


def child_id_of(path: str, root: Organization) -> int | None:
    """The id of the root's child whose subtree holds `path` (None for the root itself)."""
    rest = path[len(root.path) :]
    return int(rest.split("/", 1)[0]) if rest else None


@dataclass(frozen=True)
class Summary:
    total: Figures
    children: list[Figures]  # ranked: completion, then average, then name
    behind: list[MemberMonth]  # tracked members below target, furthest first


async def summarise(
    rows: AsyncIterable[MemberMonth],
    root: Organization,
    kids: Sequence[Organization],
    target_minutes: int,
) -> Summary:
    """One pass over the member rows (fewest minutes first): totals, children, behind."""
    assert root.id is not None
    total = Figures(root.id, root.name)
    by_child = {kid.id: Figures(kid.id or 0, kid.name) for kid in kids}
    behind: list[MemberMonth] = []
    async for row in rows:
        total.add(row, target_minutes)
        child = child_id_of(row.org_path, root)
        if child is not None and child in by_child:
            by_child[child].add(row, target_minutes)
        if not row.on_leave and not row.reached(target_minutes):
            behind.append(row)
    ranked = sorted(
        by_child.values(), key=lambda f: (-f.completion, -f.average_minutes, f.name, f.org_id)
    )
    return Summary(total=total, children=ranked, behind=behind)


async def group_half_days(
    session: AsyncSession, org_ids: Sequence[int], month: Month
) -> dict[int, float]:
    """Half-days of group study each organisation's own leadership team held."""
    if not org_ids:
        return {}
    result = await session.exec(
        select(GroupStudy.org_id, func.sum(GroupStudy.half_days))
        .where(
            col(GroupStudy.org_id).in_(org_ids),
            col(GroupStudy.study_date).between(month.first_day, month.last_day),
        )
        .group_by(GroupStudy.org_id)
    )
    return {org_id: float(total or 0) for org_id, total in result.all()}


def _held_meetings(
    org_ids: Sequence[int], bounds: tuple[datetime, datetime], now: datetime
) -> ColumnElement[bool]:
    return and_(
        col(Meeting.org_id).in_(org_ids),
        Meeting.status != MeetingStatus.CANCELLED,
        col(Meeting.starts_at) >= bounds[0],
        col(Meeting.starts_at) < min(bounds[1], now),
    )


async def meetings_held(
    session: AsyncSession,
    org_ids: Sequence[int],
    bounds: tuple[datetime, datetime],
    now: datetime,
) -> dict[int, int]:
    """How many exchange meetings each organisation held in the month (started, not cancelled)."""
    if not org_ids:
        return {}
    result = await session.exec(
        select(Meeting.org_id, func.count())
        .where(_held_meetings(org_ids, bounds, now))
        .group_by(Meeting.org_id)
    )
    return {org_id: int(count) for org_id, count in result.all()}


async def meeting_figures(
    session: AsyncSession,
    org_ids: Sequence[int],
    month: Month,
    bounds: tuple[datetime, datetime],
    now: datetime,
) -> dict[int, MeetingFigures]:
    """Each organisation's held meetings and how many of its tracked members checked in."""
    held = await meetings_held(session, org_ids, bounds, now)
    if not held:
        return {}
    host = aliased(Organization)
    not_on_leave = ~exists().where(
        col(MemberLeave.member_id) == col(Member.id), MemberLeave.month == month.key
    )
    result = await session.exec(
        select(Meeting.org_id, func.count(func.distinct(MeetingAttendance.member_id)))
        .join(Meeting, col(Meeting.id) == col(MeetingAttendance.meeting_id))
        .join(host, col(host.id) == col(Meeting.org_id))
        .join(Member, col(Member.id) == col(MeetingAttendance.member_id))
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .where(
            _held_meetings(list(held), bounds, now),
            col(Organization.path).startswith(host.path),
            *counted_members(None, bounds[1]),
            not_on_leave,
        )
        .group_by(Meeting.org_id)
    )
    attended = {org_id: int(count) for org_id, count in result.all()}
    return {
        org_id: MeetingFigures(held=count, attended=attended.get(org_id, 0))
        for org_id, count in held.items()
    }


async def org_month_stats(
    session: AsyncSession,
    org: Organization,
    month: Month,
    policy: StudyPolicy,
    bounds: tuple[datetime, datetime],
    now: datetime,
    group_half_days_target: int,
) -> OrgMonthStats:
    """Everything /stats shows for one organisation and month."""
    assert org.id is not None
    kids = await children(session, org)
    rows = iter_member_months(session, org, month, policy, bounds)
    summary = await summarise(rows, org, kids, policy.target_minutes)
    half_days = await group_half_days(session, [org.id], month)
    meetings = await meeting_figures(session, [org.id], month, bounds, now)
    parent = await session.get(Organization, org.parent_id) if org.parent_id else None
    return OrgMonthStats(
        month=month,
        org=org,
        target_minutes=policy.target_minutes,
        total=summary.total,
        children=summary.children,
        group_half_days=half_days.get(org.id, 0.0),
        group_half_days_target=group_half_days_target,
        meeting=meetings.get(org.id, MeetingFigures(held=0, attended=0)),
        behind=summary.behind,
        parent_name=parent.name if parent else None,
    )


@dataclass(frozen=True)
class MemberHistory:
    member: Member
    org: Organization
    months: list[tuple[Month, int]]  # oldest first, the chosen month last
    on_leave: bool
    entries: list[StudyLog]  # the chosen month's, by date


async def member_history(
    session: AsyncSession, member: Member, month: Month, policy: StudyPolicy
) -> MemberHistory:
    """One member's month, the months before it, and the month's entries."""
    months = [month.shift(-offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    sums = [
        member_minutes_expression(member.id or 0, m, policy).label(f"m{index}")
        for index, m in enumerate(months)
    ]
    totals = (await session.exec(select(*sums))).one()
    entries = await session.exec(
        select(StudyLog)
        .where(
            StudyLog.member_id == member.id,
            col(StudyLog.study_date).between(month.first_day, month.last_day),
        )
        .order_by(col(StudyLog.study_date), col(StudyLog.id))
    )
    leave = await session.exec(
        select(MemberLeave.id).where(
            MemberLeave.member_id == member.id, MemberLeave.month == month.key
        )
    )
    org = await session.get(Organization, member.org_id)
    assert org is not None
    return MemberHistory(
        member=member,
        org=org,
        months=[(m, int(total or 0)) for m, total in zip(months, totals, strict=True)],
        on_leave=leave.first() is not None,
        entries=list(entries.all()),
    )


async def find_members(
    session: AsyncSession, root: Organization, query: str, limit: int = 20
) -> list[tuple[Member, Organization]]:
    """Members of the subtree by exact name, or else by part of the name."""
    base = (
        select(Member, Organization)
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .where(col(Organization.path).startswith(root.path))
        .order_by(Member.name, Member.id)
        .limit(limit)
    )
    exact = (await session.exec(base.where(Member.name == query))).all()
    if exact:
        return list(exact)
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list((await session.exec(base.where(col(Member.name).like(pattern, escape="\\")))).all())


async def trend(
    session: AsyncSession,
    org: Organization,
    month: Month,
    policy: StudyPolicy,
    tz: ZoneInfo,
) -> list[tuple[Month, MonthTotals]]:
    """The subtree's totals for the last months up to `month`, oldest first."""
    months = [month.shift(-offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    return [(m, await month_totals(session, org, m, policy, m.utc_bounds(tz))) for m in months]


def roll_up(
    rows: Iterable[MemberMonth], orgs: Sequence[Organization], target_minutes: int
) -> dict[int, Figures]:
    """Figures of every organisation's subtree, from one pass over the member rows."""
    by_id = {org.id: Figures(org.id or 0, org.name) for org in orgs}
    for row in rows:
        for part in row.org_path.strip("/").split("/"):
            figures = by_id.get(int(part))
            if figures is not None:
                figures.add(row, target_minutes)
    return by_id


NUDGE_KIND = "manual_nudge"


async def nudge_behind(
    session: AsyncSession, stats: OrgMonthStats, today: date, now: datetime
) -> int:
    """Queues a reminder to each member of the behind list; returns how many were new.

    The outbox key (chat, kind, local date) lets each member get one such nudge a day,
    however often the button is tapped. The caller commits.
    """
    messages = [
        OutboxMessage(
            chat_id=row.telegram_id,
            member_id=row.member_id,
            kind=NUDGE_KIND,
            period_key=today.isoformat(),
            text_key=NUDGE_KIND,
            not_before=now,
            args={
                "month": stats.month.key,
                "done_minutes": row.minutes,
                "target_minutes": stats.target_minutes,
                "org": stats.org.name,
            },
        )
        for row in stats.behind
    ]
    return await enqueue(session, messages)


def counting_rule(policy: StudyPolicy, _: Callable[[str], str]) -> str:
    """Who is counted, in words (shown with /stats and in the export); `_` translates."""
    return _(
        "Counted: active cadres and secretaries who joined before the month ended and are "
        "not on leave; admins are not counted. A member who joined mid-month has the full "
        "{hours} h target."
    ).format(hours=format_hours(policy.target_minutes))


async def get_member(session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)
