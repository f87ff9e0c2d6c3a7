"""/export and `branchbot export`: the same figures as /stats, read back from xlsx and csv."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiogram.methods import SendDocument
from openpyxl import load_workbook
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from bot.services.export import ExportRequest, export_month
from bot.services.export_cli import export_cli
from storage.migrate import upgrade_async
from storage.models import AuditLog, Organization
from tests.support.factories import ADMIN_TG, CADRE_A1_TG, SECRETARY_A_TG
from tests.support.harness import Harness, joined
from tests.test_stats_service import NOVEMBER, SHANGHAI, build_dataset


def document(requests: list[Any]) -> tuple[str, bytes]:
    sent = [r for r in requests if isinstance(r, SendDocument)]
    assert len(sent) == 1, requests
    return sent[0].document.filename, sent[0].document.data


def sheet_rows(workbook: Any, title: str) -> list[tuple[Any, ...]]:
    return list(workbook[title].iter_rows(values_only=True))


async def export_workbook(harness: Harness, user: int, args: str = "") -> Any:
    name, data = document(await harness.send(user, f"/export {args}".strip()))
    assert name.endswith(".xlsx")
    return load_workbook(io.BytesIO(data))


async def test_xlsx_has_every_sheet_with_chinese_headers(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, ADMIN_TG)
    assert workbook.sheetnames == [
        "汇总", "成员", "学习记录", "集体学习", "交流会", "请假名单", "签到", "说明",
    ]  # fmt: skip
    assert sheet_rows(workbook, "成员")[0] == (
        "组织", "姓名", "身份", "学时（小时）", "分钟", "目标（小时）", "完成情况",
    )  # fmt: skip


async def test_xlsx_freezes_the_header_and_sets_widths(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, ADMIN_TG)
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width > 8


async def test_xlsx_member_figures_match_stats(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, ADMIN_TG)
    members = {row[1]: row[3:] for row in sheet_rows(workbook, "成员")[1:]}
    assert members["张三"] == (30, 1800, 30, "已达标")
    assert members["李四"] == (2, 120, 30, "未达标")
    assert members["新人"] == (30, 1800, 30, "已达标")
    assert members["赵书记"][-1] == "请假"
    assert "王管理" not in members and "停用" not in members
    summary = {row[0]: row for row in sheet_rows(workbook, "汇总")[1:]}
    assert summary["市团委"][3:9] == (5, 2, 40, 16.4, 20, 1)
    assert summary["第一团支部"][3:5] == (3, 1)
    assert summary["第一团支部"][9:13] == (1, 2, 1, 2)
    assert summary["第三团支部"][3:6] == (0, 0, 0)


async def test_xlsx_dates_are_real_dates_and_the_2359_entry_is_in(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, SECRETARY_A_TG)
    entries = sheet_rows(workbook, "学习记录")[1:]
    assert all(isinstance(row[0], datetime) for row in entries)
    last = [row for row in entries if row[0].date() == date(2026, 11, 30)]
    assert [(row[2], row[3], row[4]) for row in last] == [("张三", 600, "学习团章 600 分钟")]
    assert sum(row[3] for row in entries if row[2] == "张三") == 1800


async def test_xlsx_lists_group_study_meetings_leave_and_attendance(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, ADMIN_TG)
    group = sheet_rows(workbook, "集体学习")[1:]
    assert [(row[1], row[2], row[6], row[7]) for row in group] == [
        ("第一团支部", 1, 2, "张三、李四")
    ]
    assert [row[1] for row in sheet_rows(workbook, "请假名单")[1:]] == ["赵书记"]
    attendance = sheet_rows(workbook, "签到")[1:]
    assert sorted(row[2] for row in attendance) == ["张三", "李四"]


async def test_secretary_export_holds_only_their_branch(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, SECRETARY_A_TG)
    names = {row[1] for row in sheet_rows(workbook, "成员")[1:]}
    assert names == {"张三", "李四", "李书记"}


async def test_csv_zip_has_the_same_figures_with_a_bom(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    name, data = document(await harness.send(ADMIN_TG, "/export 2026-11 --csv"))
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        raw = archive.read("members.csv")
        summary = archive.read("summary.csv").decode("utf-8-sig")
    assert raw.startswith(b"\xef\xbb\xbf")
    members = {row[1]: row for row in csv.reader(io.StringIO(raw.decode("utf-8-sig")))}
    assert members["张三"][3:] == ["30.0", "1800", "30.0", "已达标"]
    city = next(row for row in csv.reader(io.StringIO(summary)) if row[0] == "市团委")
    assert city[3:9] == ["5", "2", "40.0", "16.4", "20.0", "1"]


async def test_every_export_is_audited(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    await harness.send(SECRETARY_A_TG, "/export")
    await harness.send(SECRETARY_A_TG, "/export --csv")
    async with app.sessions() as session:
        rows = (await session.exec(select(AuditLog).where(AuditLog.action == "export"))).all()
    assert [(r.actor_id, r.entity_id, r.details["format"]) for r in rows] == [
        (data.world.secretary_a.id, data.world.branch_a.id, "xlsx"),
        (data.world.secretary_a.id, data.world.branch_a.id, "csv"),
    ]


async def test_english_reader_gets_english_headers(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    async with app.sessions() as session:
        admin = data.world.admin
        admin.locale = "en"
        session.add(admin)
        await session.commit()
    workbook = await export_workbook(harness, ADMIN_TG)
    assert workbook.sheetnames[:2] == ["Summary", "Members"]


async def test_cadre_cannot_export(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    requests = await harness.send(CADRE_A1_TG, "/export")
    assert "只有团支部书记和管理员" in joined(requests)
    assert not any(isinstance(r, SendDocument) for r in requests)


async def test_future_month_export_gets_a_clear_answer(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "还没有开始" in joined(await harness.send(ADMIN_TG, "/export 2027-02"))


async def test_empty_month_export_has_headers_and_zero_rows(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    workbook = await export_workbook(harness, ADMIN_TG, "2026-06")
    assert sheet_rows(workbook, "学习记录")[1:] == []
    assert len(sheet_rows(workbook, "学习记录")[0]) == 5


async def test_cli_exports_one_organisation_after_migrating(
    tmp_path: Path, clock: FixedClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    settings = Settings(database_url=url, _env_file=None)
    await upgrade_async(url)
    app = AppContext.build(settings, clock=clock)
    try:
        await build_dataset(app)
    finally:
        await app.close()
    output = tmp_path / "out.xlsx"
    code = await export_cli(
        settings, month="2026-11", org_code="b-a", output=str(output), locale="zh_CN", clock=clock
    )
    assert code == 0
    workbook = load_workbook(output)
    assert {row[1] for row in sheet_rows(workbook, "成员")[1:]} == {"张三", "李四", "李书记"}


async def test_cli_rejects_an_unknown_organisation(tmp_path: Path, clock: FixedClock) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", _env_file=None)
    code = await export_cli(
        settings, month="2026-11", org_code="nope", output=str(tmp_path / "x.xlsx"),
        locale=None, clock=clock,
    )  # fmt: skip
    assert code == 2


async def test_export_reads_back_the_same_on_both_backends(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    async with any_app.sessions() as session:
        city = await session.get(Organization, data.world.city.id)
        assert city is not None
        request = ExportRequest(
            org=city, month=NOVEMBER, policy=any_app.policy, tz=SHANGHAI,
            now=any_app.clock.now(), group_half_days_target=2,
            translate=partial(any_app.i18n.gettext, locale="zh_CN"),
        )  # fmt: skip
        result = await export_month(session, request, csv=False, actor=None, via="test")
        await session.commit()
    workbook = load_workbook(io.BytesIO(result.data))
    members = {row[1]: row[4] for row in sheet_rows(workbook, "成员")[1:]}
    assert members == {"张三": 1800, "李四": 120, "李书记": 0, "王五": 1200, "新人": 1800,
                       "赵书记": 300}  # fmt: skip
    assert len(sheet_rows(workbook, "学习记录")) == 1 + 7  # not the admin's nor the inactive one's


async def test_cli_csv_writes_one_file_per_sheet(tmp_path: Path, clock: FixedClock) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    settings = Settings(database_url=url, _env_file=None)
    await upgrade_async(url)
    app = AppContext.build(settings, clock=clock)
    try:
        await build_dataset(app)
    finally:
        await app.close()
    code = await export_cli(
        settings, month="2026-11", org_code=None, output=str(tmp_path / "nov.csv"),
        locale="en", clock=clock,
    )  # fmt: skip
    assert code == 0
    members = (tmp_path / "nov-members.csv").read_text(encoding="utf-8-sig").splitlines()
    assert members[0].startswith("Organisation,Name,Role,Hours")
    assert (tmp_path / "nov-summary.csv").is_file()
