"""`branchbot` command line: run, demo, migrate, orgs import, invite, export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="branchbot", description="团支书助手 BranchBot")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (long polling; needs BOT_TOKEN)")

    demo = commands.add_parser("demo", help="chat with the real bot in this terminal")
    demo.add_argument("--as", dest="role", choices=["cadre", "secretary", "admin"], default="cadre")
    demo.add_argument("--script", help="read the user's lines from this file instead")

    commands.add_parser("migrate", help="apply database migrations")

    orgs = commands.add_parser("orgs", help="organisation tree").add_subparsers(
        dest="orgs_command", required=True
    )
    orgs_import = orgs.add_parser("import", help="import a tree from CSV or YAML")
    orgs_import.add_argument("file")

    invite = commands.add_parser("invite", help="create invite codes and deep links")
    invite.add_argument("--org", required=True, help="organisation code")
    invite.add_argument("--role", choices=["cadre", "secretary", "admin"], default="cadre")
    invite.add_argument("--uses", type=int, default=None, help="maximum uses (default: no limit)")
    invite.add_argument("--days", type=int, default=14, help="valid for N days (default 14)")
    invite.add_argument("--count", type=int, default=1, help="how many invites")

    export = commands.add_parser("export", help="export a month's statistics")
    export.add_argument("--month", help="YYYY-MM (default: this month)")
    export.add_argument("--org", help="organisation code (default: the root)")
    export.add_argument("-o", "--output", required=True, help="file.xlsx or file.csv")
    export.add_argument("--locale", choices=["zh_CN", "en"], default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The service logs what it handles; the terminal commands print only their own lines.
    logging.basicConfig(
        level=logging.INFO if args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        return asyncio.run(_dispatch(args, settings))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run" and settings.bot_token is None:
        print("BOT_TOKEN is not set: starting the terminal demo instead (Ctrl-D to quit).")
        logging.getLogger().setLevel(logging.WARNING)
        args.command, args.role, args.script = "demo", "cadre", None
    if args.command == "run":
        from bot.runner import run_polling

        await run_polling(settings)
        return 0
    if args.command == "migrate":
        from storage.migrate import upgrade_async

        await upgrade_async(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return await run_demo(settings, role=args.role, script=args.script)
    if args.command == "orgs":
        from bot.services.org_import import import_orgs_file

        return await import_orgs_file(settings, args.file)
    if args.command == "invite":
        from bot.services.invites import create_invites_cli

        return await create_invites_cli(
            settings,
            org_code=args.org,
            role=args.role,
            uses=args.uses,
            days=args.days,
            count=args.count,
        )
    if args.command == "export":
        from bot.services.export_cli import export_cli

        return await export_cli(
            settings, month=args.month, org_code=args.org, output=args.output, locale=args.locale
        )
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
