"""`branchbot demo`: the real bot in a terminal, driven by a script."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.config import Settings
from bot.context import AppContext
from bot.demo import DEMO_DATABASE_URL, PEOPLE, run_demo
from storage.models import Member, StudyLog


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo writes ./data/demo.db and ./data/demo-out/ under the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def script(folder: Path, *lines: str) -> str:
    path = folder / "script.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def demo(folder: Path, role: str, *lines: str) -> int:
    return await run_demo(Settings(_env_file=None), role=role, script=script(folder, *lines))


async def count(model: type, *where: object) -> int:
    ctx = AppContext.build(Settings(database_url=DEMO_DATABASE_URL, _env_file=None))
    try:
        async with ctx.sessions() as session:
            statement = select(func.count()).select_from(model).where(*where)
            return int((await session.exec(statement)).one())
    finally:
        await ctx.close()


async def test_cadre_logs_study_and_sees_progress(in_tmp: Path, capsys):
    assert await demo(in_tmp, "cadre", "/log 2 演示学习团章第二章", "/me", "/quit") == 0
    out = capsys.readouterr().out
    assert "张小青" in out and "第一团支部" in out
    assert "👤 /log 2 演示学习团章第二章" in out
    assert "▓" in out and "小时" in out
    me = PEOPLE["cadre"].telegram_id
    cadre_id = select(Member.id).where(Member.telegram_id == me).scalar_subquery()
    assert (
        await count(
            StudyLog, StudyLog.content == "演示学习团章第二章", StudyLog.member_id == cadre_id
        )
        == 1
    )


async def test_numbers_pick_buttons_and_menu_keys(in_tmp: Path, capsys):
    await demo(in_tmp, "cadre", "/settings", "2")
    out = capsys.readouterr().out
    assert "[1] 中文" in out and "[2] English" in out
    assert "Language: English" in out  # button 2 was tapped: the answer is in English


async def test_secretary_invite_qr_is_saved_as_png(in_tmp: Path, capsys):
    await demo(in_tmp, "secretary", "/invite", "1")
    out = capsys.readouterr().out
    [png] = list((in_tmp / "data" / "demo-out").glob("*.png"))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.name in out and "https://t.me/BranchBot?start=" in out


async def test_seeding_twice_adds_nothing(in_tmp: Path, capsys):
    await demo(in_tmp, "admin", "/quit")
    first = (await count(Member), await count(StudyLog))
    await demo(in_tmp, "admin")  # and the end of the script ends the demo like /quit
    assert (await count(Member), await count(StudyLog)) == first
    assert first[0] == 6 and first[1] > 0
    assert capsys.readouterr().out.count("👋") == 2


async def test_missing_script_is_one_error_line(in_tmp: Path, capsys):
    assert await run_demo(Settings(_env_file=None), role="cadre", script="nope.txt") == 2
    assert "no such script file" in capsys.readouterr().err
