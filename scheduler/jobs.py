"""Reminder kinds: who gets what, written to the outbox in one transaction.

A job never sends anything. It computes the recipients for "now" (the injected clock)
and enqueues rows keyed (chat, kind, period), so running it twice, or again after a
restart, adds nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.context import AppContext
from bot.rules import Month, Progress, format_hours
from bot.services import meetings
from bot.services.stats import TRACKED_ROLES
from scheduler import audience
from scheduler.audience import Person
from scheduler.outbox import OutboxMessage, enqueue
from scheduler.quiet import QuietHours
from storage.models import MeetingReply, Organization, Outbox, OutboxStatus, ReplyAnswer, Role

NUDGE_KINDS = ("nudge_mid", "nudge_last_week", "nudge_final")
REMINDER_TEXT_PREFIX = "reminder."  # the text keys of every job's messages
SAMPLE_SIZE = 10
DIGEST_NAMES = 10
AGENDA_MAX = 200


@dataclass
class JobRun:
    """One evaluation of a reminder kind at `now` (UTC), optionally within `root`."""

    app: AppContext
    session: AsyncSession
    now: datetime
    root: Organization | None = None
    names: dict[int, str] = field(default_factory=dict)  # member id → name, for previews

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def today(self) -> date:
        return self.now.astimezone(self.settings.tz).date()

    @property
    def month(self) -> Month:
        return Month.of(self.today)

    @cached_property
    def not_before(self) -> datetime:
        return QuietHours.from_settings(self.settings).next_allowed(self.now)

    async def people(self) -> list[Person]:
        people = await audience.active_people(self.session, self.root)
        self.names.update((person.id, person.name) for person in people)
        return people

    def message(
        self, person: Person, kind: str, period_key: str, text_key: str, args: dict[str, Any]
    ) -> OutboxMessage:
        return OutboxMessage(
            chat_id=person.telegram_id,
            member_id=person.id,
            kind=kind,
            period_key=period_key,
            text_key=text_key,
            args=args,
            not_before=self.not_before,
        )


Collector = Callable[[JobRun], Awaitable[list[OutboxMessage]]]


def _always(_today: date, _settings: Settings) -> bool:
    return True


def _last_week_day(today: date, _settings: Settings) -> bool:
    return today == Month.of(today).last_day - timedelta(days=6)


def _final_days(today: date, settings: Settings) -> bool:
    return (Month.of(today).last_day - today).days < settings.remind_final_days


@dataclass(frozen=True)
class ReminderKind:
    name: str
    collect: Collector
    cron: Callable[[Settings], dict[str, Any]]  # CronTrigger fields, local time
    due: Callable[[date, Settings], bool] = _always


def _at(moment: time, **fields: Any) -> dict[str, Any]:
    return {"hour": moment.hour, "minute": moment.minute, **fields}


# --- personal study ------------------------------------------------------------------


async def _month_start(run: JobRun) -> list[OutboxMessage]:
    """Everyone not on leave: this month's targets and last month's result (if it counted)."""
    month, last = run.month, run.month.prev()
    people = await run.people()
    leave = await audience.on_leave(run.session, month)
    leave_last = await audience.on_leave(run.session, last)
    done_last = await audience.month_minutes(run.session, last, run.app.policy)
    month_start = month.utc_bounds(run.settings.tz)[0]
    target = run.app.policy.target_minutes
    return [
        run.message(
            person,
            "month_start",
            month.key,
            "reminder.month_start",
            {
                "month": month.key,
                "target_hours": format_hours(target),
                "group_half_days": run.app.policy.group_half_days,
                "meeting_day": run.settings.meeting_deadline_day,
                "last_month": last.key,
                "last_done_hours": format_hours(done_last.get(person.id, 0)),
                "last_reached": done_last.get(person.id, 0) >= target,
                # No result for a month they had not joined yet or were excused from.
                "last_counted": person.joined_at < month_start and person.id not in leave_last,
                "open_until_day": run.app.policy.edit_lock_day,
            },
        )
        for person in people
        if person.reminders_enabled and person.id not in leave
    ]


def _nudge(kind: str, *, final: bool) -> Collector:
    async def collect(run: JobRun) -> list[OutboxMessage]:
        """Those behind the linear pace (or, at the very end, still short), up to the cap;
        only the roles /stats counts (admins are not measured against the target)."""
        month = run.month
        people = [p for p in await run.people() if p.role in TRACKED_ROLES]
        leave = await audience.on_leave(run.session, month)
        done = await audience.month_minutes(run.session, month, run.app.policy)
        nudged = await audience.sent_nudges(run.session, month, NUDGE_KINDS)
        cap = run.settings.max_nudges_per_month
        period = run.today.isoformat() if final else month.key
        messages = []
        for person in people:
            if not person.reminders_enabled or person.id in leave:
                continue
            if nudged.get(person.id, 0) >= cap:
                continue
            progress = Progress(
                month, done.get(person.id, 0), run.app.policy.target_minutes, run.today
            )
            threshold = progress.target_minutes if final else progress.expected_minutes_by_today
            if progress.done_minutes >= threshold:
                continue
            args = {
                "month": month.key,
                "done_hours": format_hours(progress.done_minutes),
                "target_hours": format_hours(progress.target_minutes),
                "left_hours": format_hours(progress.left_minutes),
                "days_left": progress.days_left,
                "per_day_hours": format_hours(progress.minutes_per_day_needed),
            }
            text_key = "reminder.final" if final else "reminder.nudge"
            messages.append(run.message(person, kind, period, text_key, args))
        return messages

    return collect


# --- secretaries and admins -------------------------------------------------------------


def _counted(people: list[Person], month: Month, settings: Settings) -> list[Person]:
    """Those /stats counts for the month (`stats.counted_members`), so the figures agree."""
    month_end = month.utc_bounds(settings.tz)[1]
    return [p for p in people if p.role in TRACKED_ROLES and p.joined_at < month_end]


def _secretaries(people: list[Person], leave: set[int]) -> list[Person]:
    return [
        person
        for person in people
        if person.role is Role.SECRETARY and person.reminders_enabled and person.id not in leave
    ]


def _group_study(kind: str) -> Collector:
    async def collect(run: JobRun) -> list[OutboxMessage]:
        """Secretaries of organisations short of the required half-days of group study."""
        month = run.month
        required = run.app.policy.group_half_days
        people = await run.people()
        leave = await audience.on_leave(run.session, month)
        held = await audience.group_half_days(run.session, month)
        return [
            run.message(
                person,
                kind,
                month.key,
                "reminder.group_study",
                {
                    "org": person.org_name,
                    "month": month.key,
                    "done_half_days": f"{held.get(person.org_id, 0):g}",
                    "required_half_days": required,
                },
            )
            for person in _secretaries(people, leave)
            if held.get(person.org_id, 0) < required
        ]

    return collect


async def _meeting_missing(run: JobRun) -> list[OutboxMessage]:
    """Secretaries whose organisation (or an ancestor) has no meeting this month."""
    month = run.month
    people = await run.people()
    leave = await audience.on_leave(run.session, month)
    orgs = await meetings.orgs_without_meeting(run.session, month, run.root, run.settings.tz)
    without = {org.id for org in orgs}
    return [
        run.message(
            person,
            "meeting_missing",
            month.key,
            "reminder.meeting_missing",
            {"org": person.org_name, "month": month.key},
        )
        for person in _secretaries(people, leave)
        if person.org_id in without
    ]


async def _weekly_digest(run: JobRun) -> list[OutboxMessage]:
    """Each secretary: their subtree's month so far, and who is behind the pace."""
    month = run.month
    people = await run.people()
    leave = await audience.on_leave(run.session, month)
    done = await audience.month_minutes(run.session, month, run.app.policy)
    held = await audience.group_half_days(run.session, month)
    target = run.app.policy.target_minutes
    expected = Progress(month, 0, target, run.today).expected_minutes_by_today
    year, week, _ = run.today.isocalendar()
    counted = _counted(people, month, run.settings)
    messages = []
    for secretary in _secretaries(people, leave):
        team = [p for p in counted if p.in_subtree(secretary.org_path) and p.id not in leave]
        behind = [p.name for p in team if done.get(p.id, 0) < expected]
        args = {
            "org": secretary.org_name,
            "month": month.key,
            "members": len(team),
            "reached": sum(done.get(p.id, 0) >= target for p in team),
            "behind": len(behind),
            "behind_names": behind[:DIGEST_NAMES],
            "group_half_days": f"{held.get(secretary.org_id, 0):g}",
            "required_half_days": run.app.policy.group_half_days,
        }
        period = f"{year}-W{week:02d}"
        messages.append(
            run.message(secretary, "weekly_digest", period, "reminder.weekly_digest", args)
        )
    return messages


async def _month_close(run: JobRun) -> list[OutboxMessage]:
    """Admins on the 1st: last month's completion in their subtree."""
    month = run.month.prev()
    people = await run.people()
    leave = await audience.on_leave(run.session, month)
    done = await audience.month_minutes(run.session, month, run.app.policy)
    held = await audience.group_half_days(run.session, month)
    target, required = run.app.policy.target_minutes, run.app.policy.group_half_days
    tracked = _counted(people, month, run.settings)
    messages = []
    for admin in people:
        if admin.role is not Role.ADMIN or not admin.reminders_enabled:
            continue
        team = [p for p in tracked if p.in_subtree(admin.org_path)]
        counted = [p for p in team if p.id not in leave]
        orgs = {p.org_id for p in people if p.in_subtree(admin.org_path)}
        args = {
            "month": month.key,
            "members": len(counted),
            "reached": sum(done.get(p.id, 0) >= target for p in counted),
            "on_leave": len(team) - len(counted),
            "orgs": len(orgs),
            "orgs_group_ok": sum(held.get(org, 0) >= required for org in orgs),
            "open_until_day": run.app.policy.edit_lock_day,
        }
        messages.append(run.message(admin, "month_close", month.key, "reminder.month_close", args))
    return messages


# --- meetings -------------------------------------------------------------------------

SOON_WINDOWS = (("meeting_2h", timedelta(hours=2)), ("meeting_24h", timedelta(hours=24)))
SHARE_WINDOW = timedelta(hours=48)


async def _meeting_messages(run: JobRun, *, share: bool) -> list[OutboxMessage]:
    horizon = SHARE_WINDOW if share else SOON_WINDOWS[-1][1]
    upcoming = await audience.upcoming_meetings(run.session, run.now, run.now + horizon)
    if not upcoming:
        return []
    people = await run.people()
    messages = []
    for meeting, host_path in upcoming:
        assert meeting.id is not None
        until = meeting.starts_at - run.now
        kind = "meeting_share"
        if not share:
            kind = next(name for name, window in SOON_WINDOWS if until <= window)
            # A meeting announced less than a day ahead: the announcement did this job.
            if (
                kind == "meeting_24h"
                and meeting.created_at > meeting.starts_at - SOON_WINDOWS[1][1]
            ):
                continue
        month = Month.of(meeting.starts_at.astimezone(run.settings.tz).date())
        leave = await audience.on_leave(run.session, month)
        answers = await audience.replies(run.session, meeting.id)
        authors = await audience.share_authors(run.session, meeting.id) if share else set()
        args = {
            "meeting_id": meeting.id,
            "when": meetings.local_time_text(meeting.starts_at, run.settings.tz),
            "place": meeting.place,
            "agenda": meeting.agenda[:AGENDA_MAX],
            "expires_at": meeting.starts_at.isoformat(),
        }
        text_key = "reminder.meeting_share" if share else "reminder.meeting_soon"
        # A moved meeting is a new period: its invitees are reminded of the new time.
        period = f"meeting-{meeting.id}-{meeting.starts_at:%Y%m%d%H%M}"
        for person in people:
            if not person.in_subtree(host_path) or person.id in authors:
                continue
            answer = answers.get(person.id)
            if answer is ReplyAnswer.LEAVE:
                continue
            accepted = answer is ReplyAnswer.ATTEND
            if not accepted and (not person.reminders_enabled or person.id in leave):
                continue
            messages.append(run.message(person, kind, period, text_key, args))
    return messages


async def _meeting_soon(run: JobRun) -> list[OutboxMessage]:
    """T-24 h and T-2 h: those attending or undecided."""
    return await _meeting_messages(run, share=False)


async def _meeting_share(run: JobRun) -> list[OutboxMessage]:
    """T-48 h: invitees who have not submitted their 心得 yet."""
    return await _meeting_messages(run, share=True)


def _every(minutes: int) -> dict[str, Any]:
    return {"minute": f"*/{minutes}"}


KINDS: dict[str, ReminderKind] = {
    kind.name: kind
    for kind in (
        ReminderKind("month_start", _month_start, lambda s: _at(s.remind_month_start_at, day=1)),
        ReminderKind(
            "nudge_mid",
            _nudge("nudge_mid", final=False),
            lambda s: _at(s.remind_mid_month_at, day=s.remind_mid_month_day),
        ),
        ReminderKind(
            "nudge_last_week",
            _nudge("nudge_last_week", final=False),
            lambda s: _at(s.remind_last_week_at),
            _last_week_day,
        ),
        ReminderKind(
            "nudge_final",
            _nudge("nudge_final", final=True),
            lambda s: _at(s.remind_final_at),
            _final_days,
        ),
        ReminderKind(
            "group_study_mid",
            _group_study("group_study_mid"),
            lambda s: _at(s.remind_group_study_at, day=s.remind_group_study_day),
        ),
        ReminderKind(
            "group_study_last_week",
            _group_study("group_study_last_week"),
            lambda s: _at(s.remind_group_study_at),
            _last_week_day,
        ),
        ReminderKind(
            "meeting_missing",
            _meeting_missing,
            lambda s: _at(s.remind_meeting_missing_at, day=s.meeting_deadline_day),
        ),
        ReminderKind(
            "meeting_soon", _meeting_soon, lambda s: _every(s.remind_meeting_scan_minutes)
        ),
        ReminderKind(
            "meeting_share", _meeting_share, lambda s: _every(s.remind_meeting_scan_minutes)
        ),
        ReminderKind(
            "weekly_digest",
            _weekly_digest,
            lambda s: _at(s.remind_digest_at, day_of_week=s.remind_digest_weekday),
        ),
        ReminderKind("month_close", _month_close, lambda s: _at(s.remind_month_close_at, day=1)),
    )
}


@dataclass(frozen=True)
class Preview:
    """What a kind would enqueue now: a dry run for `/remind_now`."""

    kind: str
    count: int
    sample: list[str]


async def run_job(
    app: AppContext,
    kind: str,
    *,
    force: bool = False,
    root: Organization | None = None,
    at: datetime | None = None,
) -> int:
    """Enqueues the kind's messages for the clock's now (or `at`, a missed fire time);
    returns how many rows were new.

    On a day the kind is not due (e.g. the final reminder before the last days) it adds
    nothing, unless forced (`/remind_now KIND send`).
    """
    reminder = KINDS[kind]
    now = at or app.clock.now()
    if not force and not reminder.due(now.astimezone(app.settings.tz).date(), app.settings):
        return 0
    async with app.sessions() as session:
        messages = await reminder.collect(JobRun(app, session, now, root))
        added = await enqueue(session, messages)
        await session.commit()
    return added


async def preview(app: AppContext, kind: str, root: Organization | None = None) -> Preview:
    """Who would get `kind` if it ran now (nothing is written)."""
    async with app.sessions() as session:
        run = JobRun(app, session, app.clock.now(), root)
        messages = await KINDS[kind].collect(run)
    sample = [run.names.get(m.member_id or 0, str(m.chat_id)) for m in messages[:SAMPLE_SIZE]]
    return Preview(kind, len(messages), sample)


async def withdraw_reminders(session: AsyncSession, member_id: int) -> int:
    """Skips the member's queued reminders once they turn reminders off (jobs check the
    setting when they enqueue; a message held over quiet hours waits till morning). Meeting
    reminders of meetings they attend stay: jobs send those regardless. Messages that are
    not reminders (announcements, a secretary's nudge) stay too. Returns how many were
    withdrawn; the caller commits."""
    attending = set(
        (
            await session.exec(
                select(MeetingReply.meeting_id).where(
                    MeetingReply.member_id == member_id,
                    MeetingReply.answer == ReplyAnswer.ATTEND,
                )
            )
        ).all()
    )
    queued = (
        await session.exec(
            select(Outbox).where(
                Outbox.member_id == member_id,
                Outbox.status == OutboxStatus.PENDING,
                col(Outbox.text_key).startswith(REMINDER_TEXT_PREFIX),
            )
        )
    ).all()
    withdrawn = 0
    for row in queued:
        if row.args.get("meeting_id") in attending:
            continue
        row.status = OutboxStatus.SKIPPED
        row.last_error = "recipient turned reminders off"
        session.add(row)
        withdrawn += 1
    return withdrawn
