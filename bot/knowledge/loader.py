"""The criteria knowledge base: loaded from a YAML file an admin may edit, and validated.

Every problem is reported with the entry (or menu node) it belongs to, so an admin who
broke the file knows where to look; a file with problems is never half-loaded.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent / "plan_kb.yaml"
ROOT_MENU = "root"
# Values filled from configuration when an entry is shown (see answer.placeholder_values).
PLACEHOLDERS = frozenset(
    {
        "monthly_study_hours",
        "group_study_half_days",
        "nonpublic_rate_target",
        "league_rate_deadline",
    }
)
# The word-substitution defects and lost numbers of our copy (seed/README.md).
FORBIDDEN_WORDS = (
    "效劳",
    "科学开展观",
    "科学开展水平",
    "原那么",
    "根底",
    "根本要求",
    "根本职能",
    "根本路线",
    "根本文化生活",
    "稳固",
    "政治坚决",
    "坚决贯彻",
    "带着",
    "广阔",
    "到达",
    "创立",
    "工作工程",
    "基础工作标准",
    "服务开展",
    "投身开展",
    "2023月份",
    "20230",
)
MAX_TEXT = 3000  # leaves room for the title and source in a 4096-character message
_ID_RE = re.compile(r"^[a-z0-9_]{1,40}$")
# YAML folds line breaks into spaces; Chinese text has none between characters.
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")


class KnowledgeBaseError(ValueError):
    """The file cannot be used; the message lists every problem found."""

    def __init__(self, source: Path, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class LocalText:
    title: str
    text: str
    section: str


@dataclass(frozen=True)
class Entry:
    id: str
    texts: Mapping[str, LocalText]  # by locale
    keywords: tuple[str, ...]
    related: tuple[str, ...]

    def local(self, locale: str) -> LocalText:
        return self.texts.get(locale) or self.texts["zh_CN"]


@dataclass(frozen=True)
class MenuNode:
    id: str
    labels: Mapping[str, str]  # by locale
    items: tuple[str, ...]  # ids of menu nodes or entries

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels["zh_CN"]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]  # in file order
    menu: Mapping[str, MenuNode]
    source: Path

    def parent_of(self, item_id: str) -> str:
        """The first menu node listing `item_id` (where its back button leads)."""
        for node in self.menu.values():
            if item_id in node.items:
                return node.id
        return ROOT_MENU


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    """Reads and validates the file; raises KnowledgeBaseError naming every problem."""
    source = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeBaseError(source, [f"cannot read the file ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(source, [f"not valid YAML ({_first_line(exc)})"]) from exc
    return parse_knowledge_base(raw, source)


def parse_knowledge_base(raw: Any, source: Path) -> KnowledgeBase:
    problems: list[str] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise KnowledgeBaseError(source, ["the top level needs an 'entries' list"])
    entries: dict[str, Entry] = {}
    for index, item in enumerate(raw["entries"], start=1):
        entry = _parse_entry(item, f"entry #{index}", problems)
        if entry is None:
            continue
        if entry.id in entries:
            problems.append(f"entry '{entry.id}': duplicate id")
            continue
        entries[entry.id] = entry
    if not entries and not problems:
        problems.append("there are no entries")
    for entry in entries.values():
        for related in entry.related:
            if related == entry.id:
                problems.append(f"entry '{entry.id}': related to itself")
            elif related not in entries:
                problems.append(f"entry '{entry.id}': unknown related id '{related}'")
    menu = _parse_menu(raw.get("menu"), entries, problems)
    if problems:
        raise KnowledgeBaseError(source, problems)
    return KnowledgeBase(entries=entries, menu=menu, source=source)


def _parse_entry(item: Any, where: str, problems: list[str]) -> Entry | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: not a mapping")
        return None
    entry_id = item.get("id")
    if not isinstance(entry_id, str) or not _ID_RE.match(entry_id):
        problems.append(f"{where}: missing or invalid id (use a-z, 0-9, _; at most 40)")
        return None
    where = f"entry '{entry_id}'"
    before = len(problems)
    texts = {}
    for locale, key in (("zh_CN", "zh"), ("en", "en")):
        local = _parse_local(item.get(key), f"{where} ({key})", locale, problems)
        if local is not None:
            texts[locale] = local
    keywords = _string_list(item.get("keywords"), f"{where}: keywords", problems, required=True)
    related = _string_list(item.get("related", []), f"{where}: related", problems)
    _check_words(keywords, where, problems)
    if len(problems) > before:
        return None
    return Entry(entry_id, texts, tuple(keywords), tuple(related))


def _parse_local(raw: Any, where: str, locale: str, problems: list[str]) -> LocalText | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: missing (needs title, text and section)")
        return None
    values = {}
    for field in ("title", "text", "section"):
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: missing {field}")
            continue
        value = " ".join(value.split())
        values[field] = _CJK_GAP_RE.sub("", value) if locale == "zh_CN" else value
        _check_template(values[field], f"{where} {field}", problems)
    if len(values) < 3:
        return None
    if len(values["text"]) > MAX_TEXT:
        problems.append(f"{where}: text longer than {MAX_TEXT} characters")
    _check_words(values.values(), where, problems)
    return LocalText(**values)


def _parse_menu(raw: Any, entries: Mapping[str, Entry], problems: list[str]) -> dict[str, MenuNode]:
    if not isinstance(raw, list):
        problems.append("the top level needs a 'menu' list")
        return {}
    nodes: dict[str, MenuNode] = {}
    for index, item in enumerate(raw, start=1):
        node_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(node_id, str) or not _ID_RE.match(node_id):
            problems.append(f"menu #{index}: missing or invalid id")
            continue
        where = f"menu '{node_id}'"
        if node_id in nodes or node_id in entries:
            problems.append(f"{where}: id already used")
            continue
        labels = {loc: item.get(key) for loc, key in (("zh_CN", "zh"), ("en", "en"))}
        if not all(isinstance(label, str) and label.strip() for label in labels.values()):
            problems.append(f"{where}: needs zh and en labels")
            continue
        _check_words(labels.values(), where, problems)
        items = _string_list(item.get("items"), f"{where}: items", problems, required=True)
        nodes[node_id] = MenuNode(node_id, labels, tuple(items))
    if nodes and ROOT_MENU not in nodes:
        problems.append(f"the menu needs a node with id '{ROOT_MENU}'")
    for node in nodes.values():
        for item_id in node.items:
            if item_id not in nodes and item_id not in entries:
                problems.append(f"menu '{node.id}': unknown item '{item_id}'")
    return nodes


def _string_list(raw: Any, where: str, problems: list[str], *, required: bool = False) -> list:
    if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
        problems.append(f"{where} must be a list of words")
        return []
    values = [str(x).strip() for x in raw if str(x).strip()]
    if required and not values:
        problems.append(f"{where} must not be empty")
    return values


def _check_words(texts: Iterable[str], where: str, problems: list[str]) -> None:
    for text in texts:
        for word in FORBIDDEN_WORDS:
            if word in text:
                problems.append(f"{where}: contains the defect '{word}' (see seed/README.md)")


def _check_template(text: str, where: str, problems: list[str]) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        problems.append(f"{where}: bad braces ({exc}); write a literal brace as {{{{ or }}}}")
        return
    for name in sorted(names - PLACEHOLDERS):
        problems.append(f"{where}: unknown placeholder {{{name}}}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
