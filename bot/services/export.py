"""The month's export of an organisation subtree: .xlsx (streamed) or a zip of CSV files.

Sheets: summary per organisation, members, study entries, group study, meetings with
replies, leave, attendance, and the counting rules. Texts go through the `translate`
callable given (gettext in the reader's locale). Rows are streamed from the database
in chunks and written with openpyxl's write-only workbook, so memory stays bounded
whatever the month's size. Framework-free.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules import Month, StudyPolicy
from bot.services import stats as service
from bot.services.orgs import subtree
from storage.models import (
    AuditLog,
    GroupStudy,
    GroupStudyAttendee,
    Meeting,
    MeetingAttendance,
    MeetingReply,
    MeetingShare,
    MeetingStatus,
    Member,
    MemberLeave,
    Organization,
    ReplyAnswer,
    Role,
    StudyLog,
)

CHUNK = 2000
Row = Sequence[Any]
Translate = Callable[[str], str]


@dataclass(frozen=True)
class Column:
    header: str
    width: int


@dataclass
class Sheet:
    key: str  # file name of the CSV, stable across locales
    title: str
    columns: list[Column]
    rows: Callable[[], AsyncIterator[Row]]


@dataclass(frozen=True)
class ExportRequest:
    org: Organization
    month: Month
    policy: StudyPolicy
    tz: ZoneInfo
    now: datetime
    group_half_days_target: int
    translate: Translate


def hours(minutes: int | float) -> float:
    return round(minutes / 60, 1)


def local_naive(instant: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: local wall-clock time, as the reader expects."""
    return None if instant is None else instant.astimezone(tz).replace(tzinfo=None)


def role_label(role: Role, _: Translate) -> str:
    return {Role.CADRE: _("Cadre"), Role.SECRETARY: _("Secretary"), Role.ADMIN: _("Admin")}[role]


def answer_label(answer: ReplyAnswer, _: Translate) -> str:
    return {
        ReplyAnswer.ATTEND: _("Attending"),
        ReplyAnswer.LEAVE: _("Excused"),
        ReplyAnswer.UNDECIDED: _("Undecided"),
    }[answer]


def status_label(row: service.MemberMonth, target_minutes: int, _: Translate) -> str:
    if row.on_leave:
        return _("On leave")
    return _("Reached") if row.reached(target_minutes) else _("Not reached")


async def _stream(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[Row]:
    result = await session.stream(statement)
    async for partition in result.partitions(CHUNK):
        for row in partition:
            yield row


async def build_sheets(session: AsyncSession, request: ExportRequest) -> list[Sheet]:
    """The export's sheets; the member aggregate (the same as /stats) is computed once."""
    org, month, tz, _ = request.org, request.month, request.tz, request.translate
    bounds = month.utc_bounds(tz)
    target = request.policy.target_minutes
    orgs = await subtree(session, org)
    org_ids = [o.id for o in orgs if o.id is not None]
    names = {o.id: o.name for o in orgs}
    rows = await service.member_months(session, org, month, request.policy, bounds)
    figures = service.roll_up(rows, orgs, target)
    half_days = await service.group_half_days(session, org_ids, month)
    meetings = await service.meeting_figures(session, org_ids, month, bounds, request.now)
    in_subtree = col(Organization.path).startswith(org.path)

    async def summary() -> AsyncIterator[Row]:
        for o in orgs:
            f, m = figures[o.id], meetings.get(o.id or 0)
            yield (
                o.name, o.code, month.key, f.tracked, f.reached, round(f.completion * 100, 1),
                hours(f.average_minutes), hours(f.median_minutes), f.on_leave,
                half_days.get(o.id or 0, 0.0), request.group_half_days_target,
                m.held if m else 0, m.attended if m else 0,
            )  # fmt: skip

    async def members() -> AsyncIterator[Row]:
        for row in sorted(rows, key=lambda r: (r.org_path, r.name, r.member_id)):
            yield (
                names[row.org_id], row.name, role_label(row.role, _), hours(row.minutes),
                row.minutes, hours(target), status_label(row, target, _),
            )  # fmt: skip

    async def entries() -> AsyncIterator[Row]:
        statement = (
            select(
                StudyLog.study_date, Organization.name, Member.name, StudyLog.minutes,
                StudyLog.content,
            )
            .join(Member, col(Member.id) == col(StudyLog.member_id))
            .join(Organization, col(Organization.id) == col(Member.org_id))
            .where(
                *service.counted_members(org, bounds[1]),
                col(StudyLog.study_date).between(month.first_day, month.last_day),
            )
            .order_by(col(Organization.path), col(Member.name), col(StudyLog.study_date))
        )  # fmt: skip
        async for row in _stream(session, statement):
            yield tuple(row)

    async def group_study() -> AsyncIterator[Row]:
        sessions = (
            await session.exec(
                select(GroupStudy, Organization.name)
                .join(Organization, col(Organization.id) == col(GroupStudy.org_id))
                .where(
                    in_subtree, col(GroupStudy.study_date).between(month.first_day, month.last_day)
                )
                .order_by(col(GroupStudy.study_date), col(GroupStudy.id))
            )
        ).all()
        attendees: dict[int, list[str]] = {}
        ids = [study.id for study, _name in sessions]
        for start in range(0, len(ids), CHUNK):
            result = await session.exec(
                select(GroupStudyAttendee.group_study_id, Member.name)
                .join(Member, col(Member.id) == col(GroupStudyAttendee.member_id))
                .where(col(GroupStudyAttendee.group_study_id).in_(ids[start : start + CHUNK]))
                .order_by(col(Member.name))
            )
            for study_id, name in result.all():
                attendees.setdefault(study_id, []).append(name)
        for study, org_name in sessions:
            names_ = attendees.get(study.id or 0, [])
            yield (
                study.study_date, org_name, study.half_days, hours(study.minutes), study.topic,
                study.summary, len(names_), "、".join(names_),
            )  # fmt: skip

    def month_meetings() -> Any:
        return (
            col(Meeting.starts_at) >= bounds[0],
            col(Meeting.starts_at) < bounds[1],
            col(Meeting.org_id).in_(org_ids),
        )

    async def meeting_replies() -> AsyncIterator[Row]:
        statement = (
            select(
                Meeting.starts_at, Organization.name, Meeting.place, Meeting.status, Member.name,
                MeetingReply.answer, MeetingReply.reason, MeetingShare.text,
                MeetingAttendance.checked_in_at,
            )
            .join(Organization, col(Organization.id) == col(Meeting.org_id))
            .join(MeetingReply, col(MeetingReply.meeting_id) == col(Meeting.id))
            .join(Member, col(Member.id) == col(MeetingReply.member_id))
            .outerjoin(
                MeetingShare,
                (col(MeetingShare.meeting_id) == col(Meeting.id))
                & (col(MeetingShare.member_id) == col(Member.id)),
            )
            .outerjoin(
                MeetingAttendance,
                (col(MeetingAttendance.meeting_id) == col(Meeting.id))
                & (col(MeetingAttendance.member_id) == col(Member.id)),
            )
            .where(*month_meetings())
            .order_by(col(Meeting.starts_at), col(Organization.path), col(Member.name))
        )  # fmt: skip
        async for starts, org_name, place, status, name, answer, reason, share, checked in _stream(
            session, statement
        ):
            yield (
                local_naive(starts, tz), org_name, place,
                _("Cancelled") if status == MeetingStatus.CANCELLED else _("Scheduled"),
                name, answer_label(ReplyAnswer(answer), _), reason, share or "",
                _("Yes") if checked else _("No"),
            )  # fmt: skip

    async def leave() -> AsyncIterator[Row]:
        statement = (
            select(Organization.name, Member.name, MemberLeave.month, MemberLeave.reason)
            .join(Member, col(Member.id) == col(MemberLeave.member_id))
            .join(Organization, col(Organization.id) == col(Member.org_id))
            .where(in_subtree, MemberLeave.month == month.key)
            .order_by(col(Organization.path), col(Member.name))
        )
        async for row in _stream(session, statement):
            yield tuple(row)

    async def attendance() -> AsyncIterator[Row]:
        statement = (
            select(
                Meeting.starts_at, Organization.name, Member.name, MeetingAttendance.checked_in_at
            )
            .join(Meeting, col(Meeting.id) == col(MeetingAttendance.meeting_id))
            .join(Organization, col(Organization.id) == col(Meeting.org_id))
            .join(Member, col(Member.id) == col(MeetingAttendance.member_id))
            .where(*month_meetings(), Meeting.status != MeetingStatus.CANCELLED)
            .order_by(col(Meeting.starts_at), col(Organization.path), col(Member.name))
        )
        async for starts, org_name, name, checked in _stream(session, statement):
            yield (local_naive(starts, tz), org_name, name, local_naive(checked, tz))

    async def notes() -> AsyncIterator[Row]:
        yield (_("Organisation"), org.name)
        yield (_("Month"), month.key)
        yield (_("Monthly target (h)"), hours(target))
        yield (_("Counting rule"), service.counting_rule(request.policy, _))
        yield (_("Exported at"), local_naive(request.now, tz))

    return [
        Sheet("summary", _("Summary"), [
            Column(_("Organisation"), 24), Column(_("Code"), 12), Column(_("Month"), 9),
            Column(_("Members tracked"), 10), Column(_("Reached target"), 10),
            Column(_("Completion %"), 11), Column(_("Average hours"), 10),
            Column(_("Median hours"), 10), Column(_("On leave"), 9),
            Column(_("Group study half-days"), 12), Column(_("Half-days required"), 12),
            Column(_("Meetings held"), 10), Column(_("Meeting attendance"), 10),
        ], summary),
        Sheet("members", _("Members"), [
            Column(_("Organisation"), 24), Column(_("Name"), 12), Column(_("Role"), 10),
            Column(_("Hours"), 8), Column(_("Minutes"), 8), Column(_("Target hours"), 9),
            Column(_("Status"), 10),
        ], members),
        Sheet("study_log", _("Study entries"), [
            Column(_("Date"), 11), Column(_("Organisation"), 24), Column(_("Name"), 12),
            Column(_("Minutes"), 8), Column(_("Content"), 60),
        ], entries),
        Sheet("group_study", _("Group study"), [
            Column(_("Date"), 11), Column(_("Organisation"), 24),
            Column(_("Half-days"), 9), Column(_("Hours"), 8), Column(_("Topic"), 30),
            Column(_("Summary"), 40), Column(_("Attendees"), 9), Column(_("Attendee names"), 40),
        ], group_study),
        Sheet("meetings", _("Meetings"), [
            Column(_("Starts at"), 17), Column(_("Organisation"), 24),
            Column(_("Place"), 20), Column(_("Meeting status"), 10), Column(_("Name"), 12),
            Column(_("Reply"), 10), Column(_("Reason"), 20), Column(_("Reflection"), 50),
            Column(_("Attended"), 8),
        ], meeting_replies),
        Sheet("leave", _("Leave"), [
            Column(_("Organisation"), 24), Column(_("Name"), 12), Column(_("Month"), 9),
            Column(_("Reason"), 30),
        ], leave),
        Sheet("attendance", _("Attendance"), [
            Column(_("Starts at"), 17), Column(_("Organisation"), 24),
            Column(_("Name"), 12), Column(_("Checked in at"), 17),
        ], attendance),
        Sheet("notes", _("Notes"), [Column(_("Item"), 20), Column(_("Value"), 100)], notes),
    ]  # fmt: skip


async def write_xlsx(sheets: Sequence[Sheet], target: IO[bytes]) -> int:
    """Streams the sheets into an .xlsx; returns the number of data rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    written = 0
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=column.header)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        # Plain values: openpyxl gives `date`/`datetime` a date format by itself, and a
        # styled cell per value would cost several times the write.
        async for row in sheet.rows():
            worksheet.append(row)
            written += 1
    workbook.save(target)
    return written


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


async def write_csv_zip(sheets: Sequence[Sheet], target: IO[bytes]) -> int:
    """One UTF-8 (with BOM, so Excel reads Chinese) CSV per sheet, in a zip."""
    written = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            with archive.open(f"{sheet.key}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow([column.header for column in sheet.columns])
                async for row in sheet.rows():
                    writer.writerow([_csv_value(value) for value in row])
                    written += 1
                text.flush()
                text.detach()
    return written


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    rows: int


async def export_month(
    session: AsyncSession,
    request: ExportRequest,
    *,
    csv: bool,
    actor: Member | None,
    via: str,
) -> ExportResult:
    """Builds the export in memory and records who exported what (the caller commits).

    The file itself is a few MB even for 10,000 members; the rows never all sit in memory.
    """
    sheets = await build_sheets(session, request)
    buffer = io.BytesIO()
    rows = await (write_csv_zip if csv else write_xlsx)(sheets, buffer)
    session.add(
        AuditLog(
            actor_id=actor.id if actor else None,
            action="export",
            entity="organization",
            entity_id=request.org.id,
            details={
                "month": request.month.key,
                "format": "csv" if csv else "xlsx",
                "rows": rows,
                "via": via,
            },
        )
    )
    return ExportResult(data=buffer.getvalue(), rows=rows)
