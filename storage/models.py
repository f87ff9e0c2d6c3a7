"""SQLModel tables. Study time is integer minutes; instants are UTC; days are local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def enum_type(enum: type[StrEnum]) -> SAEnum:
    """Stored as the enum's value in a VARCHAR (no native type: adding a value needs no DDL)."""
    return SAEnum(
        enum, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    CADRE = "cadre"
    SECRETARY = "secretary"
    ADMIN = "admin"


class OrgKind(StrEnum):
    CITY = "city"  # 团市委
    DISTRICT = "district"  # 区/县团委
    COMMITTEE = "committee"  # 团委/团工委
    GENERAL_BRANCH = "general_branch"  # 团总支
    BRANCH = "branch"  # 团支部


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)  # stable key for idempotent imports
    name: str = Field(max_length=100)
    kind: OrgKind = Field(sa_type=enum_type(OrgKind))
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # Materialised path "/1/4/17/": a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    name: str = Field(max_length=40)
    org_id: int = Field(foreign_key="organization.id", index=True)
    role: Role = Field(default=Role.CADRE, sa_type=enum_type(Role))
    locale: str = Field(default="zh_CN", max_length=10)
    reminders_enabled: bool = True
    active: bool = True  # false once the user blocks the bot
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MemberLeave(SQLModel, table=True):
    """A member excused from the month's targets (leave, exemption)."""

    __table_args__ = (UniqueConstraint("member_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    month: str = Field(max_length=7)  # "YYYY-MM"
    reason: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    role: Role = Field(default=Role.CADRE, sa_type=enum_type(Role))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_uses: int | None = None
    uses: int = 0
    revoked: bool = False
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StudyLog(SQLModel, table=True):
    __table_args__ = (
        # Both carry `minutes` so month totals are read from the index alone (statistics):
        # per member (a branch; SQLite's plan for any size) and per month (a whole tree).
        Index("ix_studylog_member_date", "member_id", "study_date", "minutes"),
        Index("ix_studylog_date_member_minutes", "study_date", "member_id", "minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    study_date: date  # indexed through the composite indexes above
    minutes: int
    content: str = Field(max_length=500)
    # Derived from the Telegram update (chat + message, or a draft token), so a
    # redelivered update or a second tap on Save cannot store a second row.
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupStudy(SQLModel, table=True):
    __table_args__ = (Index("ix_groupstudy_org_date", "org_id", "study_date"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    study_date: date
    half_days: float  # 0.5 steps are allowed when hours are converted
    minutes: int
    topic: str = Field(max_length=200)
    summary: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupStudyAttendee(SQLModel, table=True):
    group_study_id: int = Field(foreign_key="groupstudy.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    __table_args__ = (Index("ix_meeting_org_start", "org_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")  # invitees: this org's subtree
    starts_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(max_length=300)
    agenda: str = Field(max_length=1000)
    status: MeetingStatus = Field(default=MeetingStatus.SCHEDULED, sa_type=enum_type(MeetingStatus))
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplyAnswer(StrEnum):
    ATTEND = "attend"
    LEAVE = "leave"
    UNDECIDED = "undecided"


class MeetingReply(SQLModel, table=True):
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    answer: ReplyAnswer = Field(sa_type=enum_type(ReplyAnswer))
    reason: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingShare(SQLModel, table=True):
    """The 心得 a member submits before a meeting."""

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    text: str = Field(max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingAttendance(SQLModel, table=True):
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    checked_in_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    marked_by_id: int | None = Field(default=None, foreign_key="member.id")


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


class Outbox(SQLModel, table=True):
    """One message the bot must push; the unique key makes every job idempotent."""

    __table_args__ = (
        UniqueConstraint("chat_id", "kind", "period_key", name="uq_outbox_recipient_kind_period"),
        Index("ix_outbox_status_due", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    kind: str = Field(max_length=40)
    period_key: str = Field(max_length=60)
    text_key: str = Field(max_length=60)  # rendered in the recipient's locale at send time
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=enum_type(OutboxStatus))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class FsmRecord(SQLModel, table=True):
    """aiogram conversation state, so a flow survives a restart."""

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SchedulerLease(SQLModel, table=True):
    """Leader lease for the reminder scheduler where advisory locks are unavailable."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=80)
    expires_at: datetime = Field(sa_type=UTCDateTime)
