"""The monthly cadre exchange meeting (团干部交流会), framework-free.

A meeting is hosted by an organisation; every active member of its subtree is invited.
Hosts are the secretaries and admins who manage the host organisation. Messages to many
people (announcement, cancellation, move) go through the outbox in the same transaction
as the change; their renderers live in `scheduler/texts/meetings.py`.

Which organisations must hold a meeting: those with at least one active secretary. An
organisation is covered for a month when a scheduled meeting of that month is hosted by
it or by an ancestor (its members are then invited).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.rules import Month
from bot.services.orgs import manageable_org, managed_root
from bot.services.records import audit_change, by_key, insert_once
from scheduler.outbox import OutboxMessage, enqueue
from storage.models import (
    AuditLog,
    Meeting,
    MeetingAttendance,
    MeetingReply,
    MeetingShare,
    MeetingStatus,
    Member,
    Organization,
    ReplyAnswer,
    Role,
)

PLACE_MAX = 300
AGENDA_MAX = 1000
REASON_MAX = 200
SHARE_MAX = 1000
# Meetings stay in the lists this long after they started (attendance, digest).
RECENT = timedelta(days=7)
DEFAULT_TZ = ZoneInfo(Settings.model_fields["bot_timezone"].default)


class MeetingProblem(StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a host / not invited / forged id
    NOT_FOUND = "not_found"
    PAST = "past"
    BAD_PLACE = "bad_place"
    BAD_AGENDA = "bad_agenda"
    CANCELLED = "cancelled"
    STARTED = "started"
    NOT_STARTED = "not_started"
    BAD_REASON = "bad_reason"
    BAD_SHARE = "bad_share"
    CHECKIN_CLOSED = "checkin_closed"


class MeetingError(Exception):
    def __init__(self, problem: MeetingProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class MeetingDraft:
    org_id: int
    starts_at: datetime
    place: str
    agenda: str
    idempotency_key: str


def check_place(place: str) -> str:
    place = place.strip()
    if not place or len(place) > PLACE_MAX:
        raise MeetingError(MeetingProblem.BAD_PLACE)
    return place


def check_agenda(agenda: str) -> str:
    agenda = agenda.strip()
    if not agenda or len(agenda) > AGENDA_MAX:
        raise MeetingError(MeetingProblem.BAD_AGENDA)
    return agenda


def local_time_text(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# --- who -----------------------------------------------------------------------------


async def host_candidates(session: AsyncSession, actor: Member) -> list[Organization]:
    """Organisations the actor may host a meeting for: their own and those with a secretary."""
    root = await managed_root(session, actor)
    if root is None:
        return []
    with_secretary = (
        select(Member.org_id).where(Member.role == Role.SECRETARY, col(Member.active).is_(True))
    ).scalar_subquery()
    result = await session.exec(
        select(Organization)
        .where(
            col(Organization.path).startswith(root.path),
            (col(Organization.id) == root.id) | col(Organization.id).in_(with_secretary),
        )
        .order_by(Organization.path)
    )
    return list(result.all())


async def invitees(session: AsyncSession, meeting: Meeting) -> list[Member]:
    """Active members of the host organisation's subtree."""
    host = await session.get(Organization, meeting.org_id)
    assert host is not None
    result = await session.exec(
        select(Member)
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .where(col(Organization.path).startswith(host.path), col(Member.active).is_(True))
        .order_by(Organization.path, Member.name, Member.id)
    )
    return list(result.all())


async def is_invited(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    org = await session.get(Organization, member.org_id)
    host = await session.get(Organization, meeting.org_id)
    return org is not None and host is not None and org.path.startswith(host.path)


async def replies(session: AsyncSession, meeting_id: int) -> list[MeetingReply]:
    result = await session.exec(select(MeetingReply).where(MeetingReply.meeting_id == meeting_id))
    return list(result.all())


async def shares(session: AsyncSession, meeting_id: int) -> list[MeetingShare]:
    result = await session.exec(select(MeetingShare).where(MeetingShare.meeting_id == meeting_id))
    return list(result.all())


async def hosted_meeting(session: AsyncSession, actor: Member, meeting_id: int) -> Meeting:
    """The meeting if `actor` is one of its hosts; forged or foreign ids raise NOT_ALLOWED."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or await manageable_org(session, actor, meeting.org_id) is None:
        raise MeetingError(MeetingProblem.NOT_ALLOWED)
    return meeting


async def visible_meeting(session: AsyncSession, member: Member, meeting_id: int) -> Meeting:
    """The meeting if `member` is invited to it or hosts it."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingError(MeetingProblem.NOT_ALLOWED)
    if await is_invited(session, member, meeting):
        return meeting
    return await hosted_meeting(session, member, meeting_id)


async def invited_meeting(session: AsyncSession, member: Member, meeting_id: int) -> Meeting:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or not await is_invited(session, member, meeting):
        raise MeetingError(MeetingProblem.NOT_ALLOWED)
    return meeting


# --- lists ---------------------------------------------------------------------------


async def hosted_upcoming(
    session: AsyncSession, actor: Member, now: datetime
) -> list[tuple[Meeting, str]]:
    """Scheduled meetings hosted in the actor's subtree, recent and upcoming, with host names."""
    root = await managed_root(session, actor)
    if root is None:
        return []
    result = await session.exec(
        select(Meeting, Organization.name)
        .join(Organization, col(Organization.id) == col(Meeting.org_id))
        .where(
            col(Organization.path).startswith(root.path),
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) >= now - RECENT,
        )
        .order_by(col(Meeting.starts_at))
    )
    return list(result.all())


async def my_meetings(
    session: AsyncSession, member: Member, now: datetime
) -> list[tuple[Meeting, MeetingReply | None]]:
    """Scheduled meetings the member is invited to, with their own reply."""
    org = await session.get(Organization, member.org_id)
    assert org is not None
    ancestors = [int(part) for part in org.path.strip("/").split("/") if part]
    result = await session.exec(
        select(Meeting, MeetingReply)
        .join(
            MeetingReply,
            (col(MeetingReply.meeting_id) == col(Meeting.id))
            & (col(MeetingReply.member_id) == member.id),
            isouter=True,
        )
        .where(
            col(Meeting.org_id).in_(ancestors),
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) >= now - RECENT,
        )
        .order_by(col(Meeting.starts_at))
    )
    return list(result.all())


async def orgs_without_meeting(
    session: AsyncSession,
    month: Month,
    root: Organization | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> list[Organization]:
    """Organisations with a secretary and no scheduled meeting in `month` (see module doc).

    Pass `tz=settings.tz`; the default is the settings' default zone.
    """
    start, end = month.utc_bounds(tz)
    hosts = await session.exec(
        select(Organization.path)
        .join(Meeting, col(Meeting.org_id) == col(Organization.id))
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
        )
    )
    host_paths = set(hosts.all())
    with_secretary = (
        select(Member.org_id).where(Member.role == Role.SECRETARY, col(Member.active).is_(True))
    ).scalar_subquery()
    query = select(Organization).where(col(Organization.id).in_(with_secretary))
    if root is not None:
        query = query.where(col(Organization.path).startswith(root.path))
    orgs = await session.exec(query.order_by(Organization.path))
    return [org for org in orgs.all() if not any(org.path.startswith(path) for path in host_paths)]


# --- changes -------------------------------------------------------------------------


def _announce_args(meeting: Meeting, host: Organization, tz: ZoneInfo) -> dict[str, object]:
    return {
        "meeting_id": meeting.id,
        "org": host.name,
        "starts": local_time_text(meeting.starts_at, tz),
        "place": meeting.place,
        "agenda": meeting.agenda,
        # The sender skips a notice the meeting has overtaken (e.g. queued in quiet hours).
        "expires_at": meeting.starts_at.isoformat(),
    }


async def schedule(
    session: AsyncSession, actor: Member, draft: MeetingDraft, now: datetime, tz: ZoneInfo
) -> tuple[Meeting, bool]:
    """Creates the meeting and queues the announcement to every invitee but the author.

    A repeated idempotency key returns the first meeting and queues nothing.
    """
    existing = await by_key(session, Meeting, draft.idempotency_key)
    if existing is not None:
        return existing, False
    host = await manageable_org(session, actor, draft.org_id)
    if host is None:
        raise MeetingError(MeetingProblem.NOT_ALLOWED)
    if draft.starts_at <= now:
        raise MeetingError(MeetingProblem.PAST)
    meeting = Meeting(
        org_id=draft.org_id,
        starts_at=draft.starts_at,
        place=check_place(draft.place),
        agenda=check_agenda(draft.agenda),
        idempotency_key=draft.idempotency_key,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    meeting, created = await insert_once(session, meeting)
    if not created:
        return meeting, False
    people = [member for member in await invitees(session, meeting) if member.id != actor.id]
    args = _announce_args(meeting, host, tz)
    await _notify(session, people, "meeting_announce", f"m{meeting.id}", args, now)
    await session.commit()
    return meeting, True


def _ensure_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError(MeetingProblem.CANCELLED)
    if meeting.starts_at <= now:
        raise MeetingError(MeetingProblem.STARTED)


async def _notify_attending(
    session: AsyncSession,
    meeting: Meeting,
    kind: str,
    period_key: str,
    args: dict[str, object],
    now: datetime,
) -> None:
    assert meeting.id is not None
    attending = await session.exec(
        select(Member)
        .join(MeetingReply, col(MeetingReply.member_id) == col(Member.id))
        .where(MeetingReply.meeting_id == meeting.id, MeetingReply.answer == ReplyAnswer.ATTEND)
    )
    await _notify(session, attending.all(), kind, period_key, args, now)


async def _notify(
    session: AsyncSession,
    people: Sequence[Member],
    kind: str,
    period_key: str,
    args: dict[str, object],
    now: datetime,
) -> None:
    """Queues the `kind` message (its own renderer) to each of `people`; the caller commits."""
    await enqueue(
        session,
        [
            OutboxMessage(
                chat_id=member.telegram_id,
                member_id=member.id,
                kind=kind,
                period_key=period_key,
                text_key=kind,
                args=args,
                not_before=now,
            )
            for member in people
        ],
    )


async def open_invited(
    session: AsyncSession, member: Member, meeting_id: int, now: datetime
) -> Meeting:
    """A meeting the member may still answer or send 心得 for."""
    meeting = await invited_meeting(session, member, meeting_id)
    _ensure_open(meeting, now)
    return meeting


async def open_hosted(
    session: AsyncSession, actor: Member, meeting_id: int, now: datetime
) -> Meeting:
    """A meeting the actor hosts that can still be moved or cancelled."""
    meeting = await hosted_meeting(session, actor, meeting_id)
    _ensure_open(meeting, now)
    return meeting


async def cancel(
    session: AsyncSession, actor: Member, meeting_id: int, now: datetime, tz: ZoneInfo
) -> Meeting:
    """Cancels a meeting that has not started; those who said they would come are told."""
    meeting = await open_hosted(session, actor, meeting_id, now)
    host = await session.get(Organization, meeting.org_id)
    assert host is not None
    meeting.status = MeetingStatus.CANCELLED
    meeting.updated_at = now
    session.add(meeting)
    audit_change(session, actor, "meeting", meeting, "cancel")
    await _notify_attending(
        session,
        meeting,
        "meeting_cancelled",
        f"m{meeting.id}",
        _announce_args(meeting, host, tz),
        now,
    )
    await session.commit()
    return meeting


async def move(
    session: AsyncSession,
    actor: Member,
    meeting_id: int,
    new_start: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> Meeting:
    """Moves a meeting that has not started to a future time; attendees are told."""
    meeting = await open_hosted(session, actor, meeting_id, now)
    if new_start <= now:
        raise MeetingError(MeetingProblem.PAST)
    host = await session.get(Organization, meeting.org_id)
    assert host is not None
    old_start = local_time_text(meeting.starts_at, tz)
    meeting.starts_at = new_start
    meeting.updated_at = now
    session.add(meeting)
    audit_change(session, actor, "meeting", meeting, "move", old_start=old_start)
    args = {**_announce_args(meeting, host, tz), "old_starts": old_start}
    period_key = f"m{meeting.id}-{new_start.astimezone(tz):%Y%m%d%H%M}"
    await _notify_attending(session, meeting, "meeting_moved", period_key, args, now)
    await session.commit()
    return meeting


async def edit_details(
    session: AsyncSession, actor: Member, meeting_id: int, place: str, agenda: str, now: datetime
) -> Meeting:
    """Corrects place and agenda of a meeting that has not started."""
    meeting = await open_hosted(session, actor, meeting_id, now)
    before = {"place": meeting.place, "agenda": meeting.agenda}
    meeting.place, meeting.agenda = check_place(place), check_agenda(agenda)
    meeting.updated_at = now
    session.add(meeting)
    audit_change(session, actor, "meeting", meeting, "edit", before=before)
    await session.commit()
    return meeting


async def set_reply(
    session: AsyncSession,
    member: Member,
    meeting_id: int,
    answer: ReplyAnswer,
    now: datetime,
    reason: str = "",
) -> MeetingReply:
    """The member's answer; changeable until the meeting starts. Leave needs a reason."""
    await open_invited(session, member, meeting_id, now)
    reason = reason.strip()
    if (answer == ReplyAnswer.LEAVE and not reason) or len(reason) > REASON_MAX:
        raise MeetingError(MeetingProblem.BAD_REASON)
    reply = await session.get(MeetingReply, (meeting_id, member.id))
    if reply is None:
        reply = MeetingReply(meeting_id=meeting_id, member_id=member.id, answer=answer)
    reply.answer = answer
    reply.reason = reason if answer == ReplyAnswer.LEAVE else ""
    reply.updated_at = now
    session.add(reply)
    await session.commit()
    return reply


async def my_reply(session: AsyncSession, member: Member, meeting_id: int) -> MeetingReply | None:
    return await session.get(MeetingReply, (meeting_id, member.id))


async def my_share(session: AsyncSession, member: Member, meeting_id: int) -> MeetingShare | None:
    return await session.get(MeetingShare, (meeting_id, member.id))


async def submit_share(
    session: AsyncSession, member: Member, meeting_id: int, text: str, now: datetime
) -> MeetingShare:
    """Stores or replaces the member's 心得 (≤ 1000 characters) before the start."""
    await open_invited(session, member, meeting_id, now)
    text = text.strip()
    if not text or len(text) > SHARE_MAX:
        raise MeetingError(MeetingProblem.BAD_SHARE)
    share = await session.get(MeetingShare, (meeting_id, member.id))
    if share is None:
        share = MeetingShare(meeting_id=meeting_id, member_id=member.id, text=text)
    share.text = text
    share.updated_at = now
    session.add(share)
    await session.commit()
    return share


# --- attendance ----------------------------------------------------------------------


async def present_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    result = await session.exec(
        select(MeetingAttendance.member_id).where(MeetingAttendance.meeting_id == meeting_id)
    )
    return set(result.all())


async def attendance_sheet(
    session: AsyncSession, actor: Member, meeting_id: int, now: datetime
) -> tuple[Meeting, list[Member], set[int]]:
    """For the host after the start: the invitees and who is marked present."""
    meeting = await hosted_meeting(session, actor, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError(MeetingProblem.CANCELLED)
    if meeting.starts_at > now:
        raise MeetingError(MeetingProblem.NOT_STARTED)
    return meeting, await invitees(session, meeting), await present_ids(session, meeting_id)


async def toggle_attendance(
    session: AsyncSession, actor: Member, meeting_id: int, member_id: int, now: datetime
) -> bool:
    """The host marks an invitee present or absent; returns the new state."""
    meeting, people, _ = await attendance_sheet(session, actor, meeting_id, now)
    if member_id not in {person.id for person in people}:
        raise MeetingError(MeetingProblem.NOT_ALLOWED)
    row = await session.get(MeetingAttendance, (meeting_id, member_id))
    present = row is None
    if row is None:
        session.add(
            MeetingAttendance(
                meeting_id=meeting_id, member_id=member_id, checked_in_at=now, marked_by_id=actor.id
            )
        )
    else:
        await session.delete(row)
    if member_id != actor.id:
        session.add(
            AuditLog(
                actor_id=actor.id,
                action="attendance",
                entity="meeting",
                entity_id=meeting.id,
                details={"member_id": member_id, "present": present},
            )
        )
    await session.commit()
    return present


def checkin_open(meeting: Meeting, now: datetime, window_minutes: int) -> bool:
    return (
        meeting.status == MeetingStatus.SCHEDULED
        and meeting.starts_at <= now <= meeting.starts_at + timedelta(minutes=window_minutes)
    )


async def check_in(
    session: AsyncSession, member: Member, meeting_id: int, now: datetime, window_minutes: int
) -> bool:
    """Self check-in during the window after the start; False if already checked in."""
    meeting = await invited_meeting(session, member, meeting_id)
    if not checkin_open(meeting, now, window_minutes):
        raise MeetingError(MeetingProblem.CHECKIN_CLOSED)
    if await session.get(MeetingAttendance, (meeting_id, member.id)) is not None:
        return False
    session.add(MeetingAttendance(meeting_id=meeting_id, member_id=member.id, checked_in_at=now))
    await session.commit()
    return True


# --- digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    meeting: Meeting
    host: Organization
    coming: list[Member]
    on_leave: list[tuple[Member, str]]
    undecided: list[Member]
    unanswered: list[Member]
    shares: list[tuple[Member, str]]
    present: list[Member]


async def digest(session: AsyncSession, actor: Member, meeting_id: int) -> Digest:
    """Who comes, who asked for leave and why, who has not answered, and all 心得."""
    meeting = await hosted_meeting(session, actor, meeting_id)
    host = await session.get(Organization, meeting.org_id)
    assert host is not None
    people = await invitees(session, meeting)
    answers = {reply.member_id: reply for reply in await replies(session, meeting_id)}
    texts = {share.member_id: share.text for share in await shares(session, meeting_id)}
    present = await present_ids(session, meeting_id)

    def answered(answer: ReplyAnswer) -> list[Member]:
        return [p for p in people if p.id in answers and answers[p.id].answer == answer]

    return Digest(
        meeting=meeting,
        host=host,
        coming=answered(ReplyAnswer.ATTEND),
        on_leave=[(p, answers[p.id].reason) for p in answered(ReplyAnswer.LEAVE)],
        undecided=answered(ReplyAnswer.UNDECIDED),
        unanswered=[p for p in people if p.id not in answers],
        shares=[(p, texts[p.id]) for p in people if p.id in texts],
        present=[p for p in people if p.id in present],
    )


def member_names(members: Sequence[Member]) -> str:
    return "、".join(member.name for member in members)
