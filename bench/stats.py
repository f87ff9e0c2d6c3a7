"""Statistics at scale: /stats, the month's export and the charts on SQLite and PostgreSQL.

    .venv/bin/python -m bench.stats                 # both backends
    .venv/bin/python -m bench.stats --backend sqlite --regenerate

The data set (bench/stats_data.py) is generated once and reused: bench/out/stats.db and
the PostgreSQL schema `bench_stats` (postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, text
from sqlmodel import SQLModel, col, select

from bench.stats_data import LAST_MONTH, TZ, load_postgres, load_sqlite
from bot.clock import FixedClock, local_today
from bot.config import Settings
from bot.context import AppContext
from bot.i18n import i18n_context
from bot.services.charts import chart_data, render_charts
from bot.services.export import ExportRequest, export_month
from bot.services.progress import member_month_minutes
from bot.services.stats import org_month_stats
from handlers.stats import chart_labels, render_stats
from storage.db import create_engine
from storage.models import Member, Organization, StudyLog

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=TZ)  # late in the benchmark's last month

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SQLITE_PATH = OUT / "stats.db"
PG_BASE = os.environ.get(
    "BRANCHBOT_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
PG_SCHEMA = "bench_stats"


def sqlite_url() -> str:
    return f"sqlite+aiosqlite:///{SQLITE_PATH}"


def pg_url() -> str:
    return f"{PG_BASE}?search_path={PG_SCHEMA}"


async def prepare_sqlite(regenerate: bool) -> str:
    if SQLITE_PATH.exists() and not regenerate:
        return "cached"

    def create_tables() -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        from sqlalchemy import create_engine as create_sync_engine

        engine = create_sync_engine(f"sqlite:///{SQLITE_PATH}")
        SQLModel.metadata.create_all(engine)
        engine.dispose()

    seconds = await asyncio.to_thread(load_sqlite, SQLITE_PATH, create_tables)
    return f"generated in {seconds:.0f} s"


async def prepare_postgres(regenerate: bool) -> str:
    admin = create_engine(PG_BASE)
    try:
        async with admin.begin() as connection:
            exists = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = :schema AND table_name = 'studylog'"
                    ),
                    {"schema": PG_SCHEMA},
                )
            ).scalar_one()
            if exists and not regenerate:
                filled = (
                    await connection.execute(text(f"SELECT count(*) FROM {PG_SCHEMA}.organization"))
                ).scalar_one()
                if filled:
                    return "cached"
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    finally:
        await admin.dispose()
    engine = create_engine(pg_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            seconds = await load_postgres(raw.driver_connection)
            await connection.commit()
        # What autovacuum does soon after a bulk load: the visibility map lets the month's
        # totals be read from the covering index without visiting the table.
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return f"generated in {seconds:.0f} s"


@dataclass
class Figure:
    what: str
    seconds: Timing
    baseline: str
    baseline_seconds: Timing
    budget: str
    note: str = ""


@dataclass(frozen=True)
class Timing:
    median: float
    best: float

    def __str__(self) -> str:
        if self.median == self.best:
            return _fmt(self.median)
        return f"{_fmt(self.median)} (best {_fmt(self.best)})"


async def timed(action: Callable[[], Awaitable[Any]], repeat: int = 5) -> tuple[Timing, Any]:
    """Median and best wall time of `repeat` runs after one warm-up run; the last result."""
    result = await action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await action()
        times.append(time.perf_counter() - started)
    return Timing(statistics.median(times), min(times)), result


async def export_in_child(url: str, fmt: str) -> dict[str, float]:
    """Runs one export in a fresh process, so its peak RSS is the export's own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.stats", "--export-child", url, fmt,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return json.loads(output.decode().strip().splitlines()[-1])


async def export_child(url: str, fmt: str) -> None:
    """The child's side: time one whole-tree export and report the process's peak RSS."""
    settings = Settings(database_url=url, _env_file=None)
    app = AppContext.build(settings, clock=FixedClock(NOW))
    process = psutil.Process()
    start_rss = process.memory_info().rss
    # Sampled, not ru_maxrss: that one is inherited from the parent across fork + exec.
    peak = start_rss
    sampling = True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        async with app.sessions() as session:
            city = await session.get(Organization, 1)
            assert city is not None
            request = ExportRequest(
                org=city, month=LAST_MONTH, policy=app.policy, tz=settings.tz, now=NOW,
                group_half_days_target=settings.group_study_half_days,
                translate=partial(app.i18n.gettext, locale="zh_CN"),
            )  # fmt: skip
            started = time.perf_counter()
            result = await export_month(session, request, csv=fmt == "csv", actor=None, via="bench")
            seconds = time.perf_counter() - started
            await session.rollback()  # no audit rows from the benchmark
    finally:
        await app.close()
        sampling = False
        sampler.join()
    print(json.dumps({"seconds": seconds, "rows": result.rows, "bytes": len(result.data),
                      "peak_rss": peak, "start_rss": start_rss}))  # fmt: skip


async def measure(url: str) -> list[Figure]:
    settings = Settings(database_url=url, _env_file=None)
    app = AppContext.build(settings, clock=FixedClock(NOW))
    month, tz, policy = LAST_MONTH, settings.tz, app.policy
    bounds = month.utc_bounds(tz)
    today = local_today(app.clock, tz)
    figures: list[Figure] = []
    try:
        async with app.sessions() as session:
            city = await session.get(Organization, 1)
            branch = await session.get(Organization, 3)
            district = await session.get(Organization, 2)
            assert city and branch and district

        async def count_month() -> int:
            async with app.sessions() as session:
                statement = select(func.count()).where(
                    col(StudyLog.study_date).between(month.first_day, month.last_day)
                )
                return (await session.exec(statement)).one()

        def stats_of(org: Organization) -> Callable[[], Awaitable[str]]:
            async def run() -> str:
                async with app.sessions() as session:
                    result = await org_month_stats(
                        session, org, month, policy, bounds, app.clock.now(),
                        settings.group_study_half_days,
                    )  # fmt: skip
                    with i18n_context(app.i18n, "zh_CN"):
                        return render_stats(result, today, policy)

            return run

        async def naive_loop(org: Organization) -> int:
            """The per-member loop the aggregate replaces: one query per member."""
            async with app.sessions() as session:
                members = (
                    await session.exec(
                        select(Member)
                        .join(Organization, col(Organization.id) == col(Member.org_id))
                        .where(col(Organization.path).startswith(org.path))
                    )
                ).all()
                total = 0
                for member in members:
                    total += await member_month_minutes(session, member.id or 0, month, policy)
                return len(members)

        count_seconds, entries = await timed(count_month)
        tree_seconds, _ = await timed(stats_of(city))
        branch_seconds, _ = await timed(stats_of(branch))
        naive_branch, _ = await timed(lambda: naive_loop(branch))
        naive_district, members = await timed(lambda: naive_loop(district), repeat=1)
        naive_tree = naive_district.median * 10_521 / members
        figures += [
            Figure("/stats whole tree (10,000 cadres)", tree_seconds,
                   f"count(*) of the month's {entries:,} entries", count_seconds, "≤ 200 ms",
                   f"naive per-member loop ≈ {naive_tree:.1f} s (measured on {members} members)"),
            Figure("/stats one branch (21 members)", branch_seconds,
                   "naive per-member loop, same branch", naive_branch, "≤ 20 ms"),
        ]  # fmt: skip

        async def fetch_entries() -> int:
            async with app.sessions() as session:
                statement = select(StudyLog.study_date, StudyLog.minutes, StudyLog.content).where(
                    col(StudyLog.study_date).between(month.first_day, month.last_day)
                )
                return len((await session.exec(statement)).all())

        fetch_seconds, _ = await timed(fetch_entries, repeat=1)
        for fmt in ("xlsx", "csv"):
            child = await export_in_child(url, fmt)
            figures.append(
                Figure(f"/export month .{fmt} (whole tree)",
                       Timing(child["seconds"], child["seconds"]),
                       "fetch the month's entries into a list", fetch_seconds,
                       "≤ 15 s, ≤ 300 MB",
                       f"{child['rows']:,} rows, {child['bytes'] / 1e6:.1f} MB file; peak RSS of "
                       f"the exporting process {child['peak_rss'] / 1e6:.0f} MB "
                       f"({child['start_rss'] / 1e6:.0f} MB after imports)"),
            )  # fmt: skip

        async def charts() -> int:
            async with app.sessions() as session:
                data = await chart_data(session, city, month, policy, tz)
            with i18n_context(app.i18n, "zh_CN"):
                labels = chart_labels(policy)
            return len(await asyncio.to_thread(render_charts, data, labels))

        async def empty_figure() -> int:
            return len(await asyncio.to_thread(_empty_png))

        empty_seconds, _ = await timed(empty_figure, repeat=3)
        chart_seconds, _ = await timed(charts, repeat=3)
        figures.append(
            Figure("/chart 3 PNGs (whole tree, 6-month trend)", chart_seconds,
                   "3 empty matplotlib PNGs", empty_seconds, "≤ 2 s")
        )  # fmt: skip
    finally:
        await app.close()
    return figures


def _empty_png() -> list[bytes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    images = []
    for _ in range(3):
        figure = MplFigure(figsize=(8, 4.8), dpi=110)
        FigureCanvasAgg(figure)
        figure.add_subplot()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        images.append(buffer.getvalue())
    return images


def print_table(backend: str, figures: list[Figure]) -> None:
    print(f"\n{backend}")
    header = (
        f"{'measure':42} {'median (best of 5)':>28}  {'budget':17} "
        f"{'baseline (same run)':40} {'time':>9}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.what:42} {f.seconds!s:>28}  {f.budget:17} {f.baseline:40} "
            f"{f.baseline_seconds.median * 1000:>6.1f} ms"
        )
        if f.note:
            print(f"{'':43}{f.note}")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.stats")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached data")
    parser.add_argument("--prepare-only", action="store_true", help="only generate the data")
    parser.add_argument(
        "--export-child", nargs=2, metavar=("URL", "FORMAT"), help=argparse.SUPPRESS
    )
    return parser


async def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.export_child:
        await export_child(*args.export_child)
        return 0
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        prepare = prepare_sqlite if backend == "sqlite" else prepare_postgres
        print(f"{backend}: data {await prepare(args.regenerate)}", flush=True)
    if args.prepare_only:
        return 0
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; medians of 5 runs")
    for backend in backends:
        print_table(backend, await measure(sqlite_url() if backend == "sqlite" else pg_url()))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
