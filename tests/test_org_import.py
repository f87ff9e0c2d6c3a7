"""`branchbot orgs import`: CSV and YAML, validated by line, idempotent, moves subtrees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.context import AppContext
from bot.services.org_import import OrgFileError, apply_org_rows, import_orgs_file, read_org_file
from storage.models import Organization

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def import_file(app: AppContext, path: Path):
    async with app.sessions() as session:
        return await apply_org_rows(session, read_org_file(path))


async def tree(app: AppContext) -> dict[str, tuple[str, str]]:
    """code → (name, path of codes) — comparable across databases."""
    async with app.sessions() as session:
        orgs = list((await session.exec(select(Organization))).all())
    code_of = {str(org.id): org.code for org in orgs}
    return {
        org.code: (org.name, "/".join(code_of[part] for part in org.path.strip("/").split("/")))
        for org in orgs
    }


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("example", ["orgs.csv", "orgs.yaml"])
async def test_example_imports_then_reimport_changes_nothing(any_app: AppContext, example: str):
    first = await import_file(any_app, EXAMPLES / example)
    assert (len(first.created), len(first.updated), len(first.unchanged)) == (8, 0, 0)
    again = await import_file(any_app, EXAMPLES / example)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 8)
    assert (await tree(any_app))["dc-edu-s1-t"][1] == "root/dc/dc-edu/dc-edu-s1/dc-edu-s1-t"


async def test_csv_and_yaml_examples_describe_the_same_tree(app: AppContext):
    await import_file(app, EXAMPLES / "orgs.yaml")
    summary = await import_file(app, EXAMPLES / "orgs.csv")
    assert len(summary.unchanged) == 8


async def test_moved_subtree_gets_new_paths(app: AppContext, tmp_path: Path):
    await import_file(app, EXAMPLES / "orgs.csv")
    text = (EXAMPLES / "orgs.csv").read_text(encoding="utf-8")
    moved = write(
        tmp_path,
        "moved.csv",
        text.replace(
            "dc-edu,区教育系统团工委,committee,dc", "dc-edu,区教育系统团工委,committee,dw"
        ),
    )
    summary = await import_file(app, moved)
    assert summary.updated == ["dc-edu"]
    paths = await tree(app)
    assert paths["dc-edu-s1-t"][1] == "root/dw/dc-edu/dc-edu-s1/dc-edu-s1-t"
    assert paths["dc-b1"][1] == "root/dc/dc-b1"


async def test_renamed_organisation_is_updated(app: AppContext, tmp_path: Path):
    await import_file(app, EXAMPLES / "orgs.csv")
    renamed = write(tmp_path, "r.csv", "code,name,kind,parent_code\ndw,城西区委,district,root\n")
    summary = await import_file(app, renamed)
    assert summary.updated == ["dw"]
    assert (await tree(app))["dw"][0] == "城西区委"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "k.csv",
            "code,name,kind,parent_code\nroot,团市委,city,\nx,某支部,club,root\n",
            "line 3: kind 'club'",
        ),
        (
            "d.csv",
            "code,name,kind,parent_code\nroot,团市委,city,\nroot,又一个,city,\n",
            "line 3: code 'root' already used on line 2",
        ),
        (
            "p.csv",
            "code,name,kind,parent_code\nroot,团市委,city,\nx,支部,branch,nope\n",
            "line 3: unknown parent_code 'nope'",
        ),
        ("c.csv", "code,name,kind\nroot,团市委,city\n", "missing column(s) parent_code"),
        ("n.csv", "code,name,kind,parent_code\nroot,,city,\n", "line 2: name"),
        ("s.csv", "code,name,kind,parent_code\nro ot,团市委,city,\n", "line 2: code 'ro ot'"),
        ("y.yaml", "- code: root\n  name: 团市委\n  kind: [city\n", "line 4: not valid YAML"),
        (
            "cy.csv",
            "code,name,kind,parent_code\nroot,团市委,city,\na,甲,branch,b\nb,乙,branch,a\n",
            "cycle",
        ),
        (
            "two.csv",
            "code,name,kind,parent_code\nroot,团市委,city,\nother,另一个,city,\n",
            "line 3: 'other' has no parent_code",
        ),
        ("t.txt", "whatever", "use a .csv, .yaml or .yml file"),
    ],
    ids=[
        "kind",
        "duplicate",
        "parent",
        "columns",
        "name",
        "code",
        "yaml",
        "cycle",
        "two-roots",
        "suffix",
    ],
)
async def test_bad_file_is_refused_with_the_line(
    app: AppContext, tmp_path: Path, name: str, text: str, message: str
):
    path = write(tmp_path, name, text)
    with pytest.raises(OrgFileError, match=None) as error:
        await import_file(app, path)
    assert message in str(error.value)
    assert await tree(app) == {}


async def test_cli_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", _env_file=None)
    assert await import_orgs_file(settings, str(EXAMPLES / "orgs.yaml")) == 0
    assert "8 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert await import_orgs_file(settings, str(EXAMPLES / "orgs.yaml")) == 0
    assert "0 created, 0 updated, 8 unchanged" in capsys.readouterr().out


async def test_cli_prints_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", _env_file=None)
    bad = write(tmp_path, "bad.csv", "code,name,kind,parent_code\nroot,团市委,town,\n")
    assert await import_orgs_file(settings, str(bad)) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "line 2: kind 'town'" in err
