"""Generates the statistics benchmark's data set: 10,000 cadres, 500 branches, one year.

City → 20 districts → 500 branches (25 each), 20 cadres and one secretary per branch,
about 2 million study entries over the 12 months ending with `LAST_MONTH`, group study,
meetings with replies/shares/attendance, and ~2% of member-months on leave.
Rows are written with the drivers' bulk paths (sqlite3 executemany, asyncpg COPY), with
the study-log indexes dropped during the load and rebuilt after it.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.rules import Month

DISTRICTS = 20
BRANCHES_PER_DISTRICT = 25
CADRES_PER_BRANCH = 20
LAST_MONTH = Month(2026, 11)
MONTHS = [LAST_MONTH.shift(-offset) for offset in range(11, -1, -1)]
TZ = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
TOPICS = (
    "学习团章第{n}章",
    "研读党的二十大报告第{n}部分",
    "学习习近平新时代中国特色社会主义思想专题{n}",
    "阅读《中国共产主义青年团简史》第{n}节",
    "观看主题教育专题片第{n}集",
    "学习青年工作理论文章{n}篇",
)
MINUTES = (30, 60, 60, 90, 120, 120, 150, 180, 240)

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("id", "code", "name", "kind", "parent_id", "path", "created_at"),
    "member": (
        "id", "telegram_id", "name", "org_id", "role", "locale",
        "reminders_enabled", "active", "joined_at",
    ),
    "memberleave": ("id", "member_id", "month", "reason", "created_by_id", "created_at"),
    "studylog": (
        "id", "member_id", "study_date", "minutes", "content", "idempotency_key",
        "created_at", "updated_at",
    ),
    "groupstudy": (
        "id", "org_id", "study_date", "half_days", "minutes", "topic", "summary",
        "idempotency_key", "created_by_id", "created_at", "updated_at",
    ),
    "groupstudyattendee": ("group_study_id", "member_id"),
    "meeting": (
        "id", "org_id", "starts_at", "place", "agenda", "status", "idempotency_key",
        "created_by_id", "created_at", "updated_at",
    ),
    "meetingreply": ("meeting_id", "member_id", "answer", "reason", "updated_at"),
    "meetingshare": ("meeting_id", "member_id", "text", "updated_at"),
    "meetingattendance": ("meeting_id", "member_id", "checked_in_at", "marked_by_id"),
}  # fmt: skip


@dataclass
class Branch:
    org_id: int
    secretary_id: int
    member_ids: list[int]


def _naive_utc(local: datetime) -> datetime:
    return local.replace(tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


class Generator:
    """Yields rows per table as tuples in TABLE_COLUMNS order (naive UTC instants)."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.branches: list[Branch] = []
        self.org_rows: list[tuple] = []
        self.member_rows: list[tuple] = []
        self._build_tree()

    def _build_tree(self) -> None:
        created = EPOCH.replace(tzinfo=None)
        self.org_rows.append((1, "city", "市团委", "city", None, "/1/", created))
        org_id, member_id = 1, 0

        def add_member(org: int, role: str) -> int:
            nonlocal member_id
            member_id += 1
            joined = created
            if role == "cadre" and self.rng.random() < 0.05:  # joined during the year
                joined = _naive_utc(datetime(2026, self.rng.randint(1, 11), 15, 9))
            self.member_rows.append(
                (
                    member_id, 10_000_000 + member_id, f"团员{member_id:05d}", org, role,
                    "zh_CN", True, True, joined,
                )
            )  # fmt: skip
            return member_id

        add_member(1, "admin")
        for d in range(1, DISTRICTS + 1):
            org_id += 1
            district_id = org_id
            self.org_rows.append(
                (district_id, f"d{d}", f"第{d}区团委", "district", 1, f"/1/{district_id}/", created)
            )
            add_member(district_id, "admin")
            for b in range(1, BRANCHES_PER_DISTRICT + 1):
                org_id += 1
                self.org_rows.append(
                    (
                        org_id, f"d{d}-b{b}", f"第{d}区第{b}团支部", "branch", district_id,
                        f"/1/{district_id}/{org_id}/", created,
                    )
                )  # fmt: skip
                secretary = add_member(org_id, "secretary")
                cadres = [add_member(org_id, "cadre") for _ in range(CADRES_PER_BRANCH)]
                self.branches.append(Branch(org_id, secretary, [secretary, *cadres]))

    def rows(self) -> Iterator[tuple[str, list[tuple]]]:
        """(table, batch) in foreign-key order; study logs in batches of 100,000."""
        yield "organization", self.org_rows
        yield "member", self.member_rows
        yield from self._study_logs()
        yield from self._leaves()
        yield from self._group_studies()
        yield from self._meetings()

    def _study_logs(self) -> Iterator[tuple[str, list[tuple]]]:
        rng, batch, log_id = self.rng, [], 0
        for month in MONTHS:
            for branch in self.branches:
                for member in branch.member_ids:
                    # Per-member diligence varies, so some reach 30 h and some do not.
                    for _ in range(rng.randint(8, 26)):
                        log_id += 1
                        day = month.first_day + timedelta(days=rng.randrange(month.days))
                        stamp = _naive_utc(datetime.combine(day, datetime.min.time()))
                        stamp += timedelta(hours=rng.randint(8, 23))
                        content = rng.choice(TOPICS).format(n=rng.randint(1, 12))
                        batch.append(
                            (log_id, member, day, rng.choice(MINUTES), content, None, stamp, stamp)
                        )
                        if len(batch) >= 100_000:
                            yield "studylog", batch
                            batch = []
        yield "studylog", batch

    def _leaves(self) -> Iterator[tuple[str, list[tuple]]]:
        rows, leave_id = [], 0
        now = EPOCH.replace(tzinfo=None)
        for month in MONTHS:
            for branch in self.branches:
                for member in branch.member_ids:
                    if self.rng.random() < 0.02:
                        leave_id += 1
                        rows.append((leave_id, member, month.key, "出差", None, now))
        yield "memberleave", rows

    def _group_studies(self) -> Iterator[tuple[str, list[tuple]]]:
        sessions, attendees, study_id = [], [], 0
        for month in MONTHS:
            for branch in self.branches:
                for _ in range(self.rng.randint(0, 3)):
                    study_id += 1
                    day = month.first_day + timedelta(days=self.rng.randrange(month.days))
                    half_days = self.rng.choice((0.5, 1.0, 1.0, 2.0))
                    stamp = _naive_utc(datetime.combine(day, datetime.min.time()))
                    sessions.append(
                        (
                            study_id, branch.org_id, day, half_days, round(half_days * 180),
                            "集体学习：团的基本知识", "", None, branch.secretary_id, stamp, stamp,
                        )
                    )  # fmt: skip
                    for member in self.rng.sample(branch.member_ids, 6):
                        attendees.append((study_id, member))
        yield "groupstudy", sessions
        yield "groupstudyattendee", attendees

    def _meetings(self) -> Iterator[tuple[str, list[tuple]]]:
        meetings, replies, shares, attendance, meeting_id = [], [], [], [], 0
        rng = self.rng
        for month in MONTHS:
            for branch in self.branches:
                if rng.random() < 0.1:
                    continue
                meeting_id += 1
                starts = _naive_utc(datetime(month.year, month.month, 18, 19, 0))
                meetings.append(
                    (
                        meeting_id, branch.org_id, starts, "团支部活动室", "学习交流会",
                        "scheduled", None, branch.secretary_id, starts, starts,
                    )
                )  # fmt: skip
                for member in branch.member_ids:
                    answer = rng.choice(("attend", "attend", "attend", "leave", "undecided"))
                    reason = "出差" if answer == "leave" else ""
                    replies.append((meeting_id, member, answer, reason, starts))
                    if answer == "attend":
                        shares.append((meeting_id, member, "本月学习心得：收获很大。", starts))
                        attendance.append((meeting_id, member, starts, branch.secretary_id))
        yield "meeting", meetings
        yield "meetingreply", replies
        yield "meetingshare", shares
        yield "meetingattendance", attendance


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_sqlite(path: Path, create_tables: callable) -> float:
    """Writes the data set into a new SQLite file; returns seconds taken."""
    started = time.perf_counter()
    create_tables()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='studylog' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    for table, batch in Generator().rows():
        columns = TABLE_COLUMNS[table]
        placeholders = ", ".join("?" * len(columns))
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
            ([_sqlite_value(value) for value in row] for row in batch),
        )
    for _name, sql in indexes:
        connection.execute(sql)
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    return time.perf_counter() - started


async def load_postgres(connection: object) -> float:
    """COPY the data set into the current search_path (an asyncpg connection)."""
    started = time.perf_counter()
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'studylog' "
        "AND schemaname = current_schema() AND indexname NOT LIKE '%pkey'"
        " AND indexdef NOT LIKE '%UNIQUE%'"
    )
    for row in indexes:
        await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    for table, batch in Generator().rows():
        if batch:
            await connection.copy_records_to_table(
                table, records=batch, columns=list(TABLE_COLUMNS[table])
            )
    for row in indexes:
        await connection.execute(row["indexdef"])
    for table in TABLE_COLUMNS:
        if "id" in TABLE_COLUMNS[table]:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    return time.perf_counter() - started
