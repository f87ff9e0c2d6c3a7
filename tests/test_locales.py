"""Every text the code can show has a Chinese translation with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "scheduler", "storage")
GETTEXT_NAMES = {"_", "__", "gettext", "lazy_gettext"}


def _msgids_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for directory in SOURCE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in GETTEXT_NAMES
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found[node.args[0].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def _catalogue(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for po_file in sorted((ROOT / "locales" / locale / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as fp:
            for message in read_po(fp, locale=locale):
                if message.id and isinstance(message.id, str):
                    merged[message.id] = message.string
    return merged


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


MSGIDS = _msgids_in_source()
ZH = _catalogue("zh_CN")


@pytest.mark.parametrize("msgid", sorted(MSGIDS))
def test_every_message_has_a_chinese_translation(msgid: str) -> None:
    assert ZH.get(msgid), f"no zh_CN translation for {msgid!r} ({MSGIDS[msgid]})"


@pytest.mark.parametrize("msgid", sorted(ZH))
def test_translation_keeps_the_placeholders(msgid: str) -> None:
    assert _placeholders(ZH[msgid]) == _placeholders(msgid), msgid


def test_chinese_translations_use_chinese_punctuation_not_ascii_commas_between_hanzi() -> None:
    bad = [text for text in ZH.values() if re.search(r"[\u4e00-\u9fff],[\u4e00-\u9fff]", text)]
    assert bad == []
