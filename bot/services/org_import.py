"""`branchbot orgs import FILE`: an organisation tree from CSV or YAML, idempotent."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from storage.models import Organization, OrgKind

CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NAME_MAX = 100
CSV_COLUMNS = ("code", "name", "kind", "parent_code")


class OrgFileError(ValueError):
    """A problem in the file, with the line it is on."""


@dataclass(frozen=True)
class OrgRow:
    line: int
    code: str
    name: str
    kind: OrgKind
    parent_code: str | None


@dataclass
class ImportSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def read_org_file(path: Path) -> list[OrgRow]:
    """Parses and validates the whole file; raises OrgFileError naming the line."""
    if not path.is_file():
        raise OrgFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".csv":
        records = list(_csv_records(text))
    elif suffix in (".yaml", ".yml"):
        records = list(_yaml_records(text))
    else:
        raise OrgFileError(f"{path}: use a .csv, .yaml or .yml file")
    if not records:
        raise OrgFileError(f"{path}: no organisations in the file")
    rows = [_row(line, record) for line, record in records]
    _check_references(rows)
    return rows


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise OrgFileError(f"line 1: missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    for record in reader:
        if any((value or "").strip() for value in record.values() if isinstance(value, str)):
            yield reader.line_num, record


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so errors can name it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _yaml_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise OrgFileError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if isinstance(document, dict) and "organizations" in document:
        document = document["organizations"]
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise OrgFileError("line 1: expected a list of organisations (code, name, kind)")
    yield from _walk(document, None, 1)


def _walk(
    items: list[Any], parent_code: str | None, line: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    for item in items:
        if not isinstance(item, dict):
            raise OrgFileError(f"line {line}: expected code, name and kind, got {item!r}")
        record = dict(item)
        line = record.pop("__line__", line)
        children = record.pop("children", None) or []
        if parent_code is not None:
            if record.get("parent_code") not in (None, parent_code):
                raise OrgFileError(f"line {line}: parent_code contradicts the nesting")
            record["parent_code"] = parent_code
        yield line, record
        if not isinstance(children, list):
            raise OrgFileError(f"line {line}: children must be a list")
        yield from _walk(children, str(record.get("code") or "").strip(), line)


def _row(line: int, record: dict[str, Any]) -> OrgRow:
    def text(name: str) -> str:
        value = record.get(name)
        return "" if value is None else str(value).strip()

    code, name, kind, parent = text("code"), text("name"), text("kind"), text("parent_code")
    if not CODE_RE.match(code):
        raise OrgFileError(
            f"line {line}: code {code!r} must be 1–64 characters of letters, digits, _ . -"
        )
    if not name or len(name) > NAME_MAX:
        raise OrgFileError(f"line {line}: name must be 1–{NAME_MAX} characters")
    try:
        org_kind = OrgKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in OrgKind)
        raise OrgFileError(f"line {line}: kind {kind!r} is not one of {kinds}") from None
    return OrgRow(line, code, name, org_kind, parent or None)


def _check_references(rows: list[OrgRow]) -> None:
    seen: dict[str, OrgRow] = {}
    for row in rows:
        if row.code in seen:
            raise OrgFileError(
                f"line {row.line}: code {row.code!r} already used on line {seen[row.code].line}"
            )
        if row.parent_code == row.code:
            raise OrgFileError(f"line {row.line}: {row.code!r} cannot be its own parent")
        seen[row.code] = row


async def apply_org_rows(session: AsyncSession, rows: list[OrgRow]) -> ImportSummary:
    """Upserts by code, re-parents and rewrites the paths of moved subtrees (commits)."""
    existing = {org.code: org for org in (await session.exec(select(Organization))).all()}
    code_of_id = {org.id: code for code, org in existing.items()}
    old_parent = {code: code_of_id.get(org.parent_id) for code, org in existing.items()}
    parent_of = dict(old_parent)
    for row in rows:
        if (
            row.parent_code is not None
            and row.parent_code not in existing
            and not any(other.code == row.parent_code for other in rows)
        ):
            raise OrgFileError(f"line {row.line}: unknown parent_code {row.parent_code!r}")
        parent_of[row.code] = row.parent_code
    _check_tree(rows, parent_of)

    summary = ImportSummary()
    for row in rows:
        org = existing.get(row.code)
        if org is None:
            org = Organization(code=row.code, name=row.name, kind=row.kind)
            existing[row.code] = org
            summary.created.append(row.code)
        elif (org.name, org.kind, old_parent[row.code]) != (row.name, row.kind, row.parent_code):
            summary.updated.append(row.code)
        else:
            summary.unchanged.append(row.code)
        org.name, org.kind = row.name, row.kind
        session.add(org)
    await session.flush()  # new rows get their ids

    for code, org in existing.items():
        parent_code = parent_of.get(code)
        parent_id = existing[parent_code].id if parent_code else None
        path = _path(code, parent_of, existing)
        if (org.parent_id, org.path) != (parent_id, path):
            org.parent_id, org.path = parent_id, path
            session.add(org)
    await session.commit()
    return summary


def _check_tree(rows: list[OrgRow], parent_of: dict[str, str | None]) -> None:
    """No cycles, and one root: a second top-level organisation would split the tree."""
    line_of = {row.code: row.line for row in rows}
    for code in parent_of:
        seen = {code}
        current = parent_of[code]
        while current is not None:
            if current in seen:
                where = f"line {line_of[code]}" if code in line_of else f"organisation {code!r}"
                raise OrgFileError(f"{where}: the parents form a cycle through {current!r}")
            seen.add(current)
            current = parent_of.get(current)
    roots = sorted(code for code, parent in parent_of.items() if parent is None)
    if len(roots) > 1:
        new_root = next((code for code in roots if code in line_of), roots[-1])
        others = ", ".join(repr(code) for code in roots if code != new_root)
        raise OrgFileError(
            f"line {line_of.get(new_root, 1)}: {new_root!r} has no parent_code but {others} "
            "is already the top organisation; give it a parent_code or use that code"
        )


def _path(code: str, parent_of: dict[str, str | None], by_code: dict[str, Organization]) -> str:
    chain = [code]
    while (parent := parent_of.get(chain[-1])) is not None:
        chain.append(parent)
    return "/" + "".join(f"{by_code[c].id}/" for c in reversed(chain))


async def import_orgs_file(settings: Settings, path: str) -> int:
    """The CLI command: migrate, import, print the summary or one error line."""
    from storage.db import create_engine, session_factory

    try:
        rows = read_org_file(Path(path))
    except OrgFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from storage.migrate import upgrade_async  # after validation: alembic logs on import

    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            summary = await apply_org_rows(session, rows)
    except OrgFileError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"{path}: {summary}")
    return 0
