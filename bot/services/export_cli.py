"""`branchbot export --month 2026-11 --org CODE -o file.xlsx|file.zip|file.csv`.

`.xlsx` writes the workbook; `.zip` a zip of CSV files; `.csv` one CSV file per sheet
beside the name given (`file-summary.csv`, `file-members.csv`, …).
"""

from __future__ import annotations

import asyncio
import io
import sys
import zipfile
from functools import partial
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, SystemClock, local_today
from bot.config import Settings
from bot.context import AppContext
from bot.rules import Month
from bot.services.export import ExportRequest, export_month
from bot.services.orgs import root_org
from storage.migrate import upgrade_async
from storage.models import Organization

FORMATS = (".xlsx", ".zip", ".csv")


def _write_csv_files(archive_bytes: bytes, output: Path) -> list[Path]:
    written = []
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        for name in archive.namelist():
            target = output.with_name(f"{output.stem}-{name}")
            target.write_bytes(archive.read(name))
            written.append(target)
    return written


async def export_cli(
    settings: Settings,
    *,
    month: str | None,
    org_code: str | None,
    output: str,
    locale: str | None,
    clock: Clock | None = None,
) -> int:
    """Runs the migrations, then writes the export; returns the process exit code."""
    path = Path(output)
    if path.suffix.lower() not in FORMATS:
        print(f"unsupported output {output!r}: use .xlsx, .zip or .csv", file=sys.stderr)
        return 2
    await upgrade_async(settings.database_url)
    app = AppContext.build(settings, clock=clock or SystemClock())
    try:
        today = local_today(app.clock, settings.tz)
        try:
            chosen = Month.parse(month) if month else Month.of(today)
        except ValueError:
            print(f"not a month: {month!r} (use YYYY-MM)", file=sys.stderr)
            return 2
        if chosen > Month.of(today):
            print(f"{chosen.key} has not started yet", file=sys.stderr)
            return 2
        async with app.sessions() as session:
            org = await _find_org(session, org_code)
            if org is None:
                print(f"no organisation {org_code or '(root)'!r}", file=sys.stderr)
                return 2
            request = ExportRequest(
                org=org,
                month=chosen,
                policy=app.policy,
                tz=settings.tz,
                now=app.clock.now(),
                group_half_days_target=settings.group_study_half_days,
                translate=partial(app.i18n.gettext, locale=locale or settings.bot_locale),
            )
            csv = path.suffix.lower() != ".xlsx"
            result = await export_month(session, request, csv=csv, actor=None, via="cli")
            await session.commit()
        if path.suffix.lower() == ".csv":
            files = await asyncio.to_thread(_write_csv_files, result.data, path)
            print(f"{result.rows} rows → {', '.join(str(f) for f in files)}")
        else:
            await asyncio.to_thread(path.write_bytes, result.data)
            print(f"{result.rows} rows → {path}")
        return 0
    finally:
        await app.close()


async def _find_org(session: AsyncSession, code: str | None) -> Organization | None:
    if not code:
        return await root_org(session)
    return (await session.exec(select(Organization).where(Organization.code == code))).first()
