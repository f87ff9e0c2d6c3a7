"""`branchbot invite`: one `CODE LINK` line per invite, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.context import AppContext
from bot.services.invites import CODE_RE, create_invites_cli
from bot.services.org_import import import_orgs_file
from storage.models import Invite, Role

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
async def settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Settings:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        bot_username="TuanZhiShuBot",
        _env_file=None,
    )
    assert await import_orgs_file(settings, str(EXAMPLES / "orgs.csv")) == 0
    capsys.readouterr()
    return settings


async def stored(settings: Settings) -> list[Invite]:
    ctx = AppContext.build(settings)
    try:
        async with ctx.sessions() as session:
            return list((await session.exec(select(Invite))).all())
    finally:
        await ctx.close()


async def test_prints_code_and_deep_link_per_invite(
    settings: Settings, capsys: pytest.CaptureFixture[str]
):
    code = await create_invites_cli(
        settings, org_code="dc-b1", role="secretary", uses=5, days=7, count=3
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        invite_code, link = line.split(" ")
        assert CODE_RE.match(invite_code)
        assert link == f"https://t.me/TuanZhiShuBot?start={invite_code}"
    invites = await stored(settings)
    assert {(i.role, i.max_uses) for i in invites} == {(Role.SECRETARY, 5)}
    assert len({i.code for i in invites}) == 3


async def test_unknown_org_is_one_error_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
):
    assert (
        await create_invites_cli(
            settings, org_code="nope", role="cadre", uses=None, days=14, count=1
        )
        == 1
    )
    captured = capsys.readouterr()
    assert captured.out == "" and "no organisation with code 'nope'" in captured.err


@pytest.mark.parametrize(
    ("uses", "days", "count"),
    [(0, 14, 1), (None, -1, 1), (None, 14, 0)],
    ids=["uses", "days", "count"],
)
async def test_bad_numbers_are_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str], uses, days, count
):
    assert (
        await create_invites_cli(
            settings, org_code="dc", role="cadre", uses=uses, days=days, count=count
        )
        == 2
    )
    assert capsys.readouterr().err.startswith("error: --")
    assert await stored(settings) == []


async def test_days_zero_means_no_expiry(settings: Settings):
    await create_invites_cli(settings, org_code="dc", role="cadre", uses=None, days=0, count=1)
    [invite] = await stored(settings)
    assert invite.expires_at is None and invite.max_uses is None
