"""The knowledge base file: validation errors, corrected wording, values from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.config import Settings
from bot.knowledge.answer import Phrases, entry_view, placeholder_values
from bot.knowledge.loader import (
    DEFAULT_PATH,
    FORBIDDEN_WORDS,
    KnowledgeBaseError,
    load_knowledge_base,
)

ROOT = Path(__file__).resolve().parent.parent
# The defects of our copy that must never reach a user (seed/README.md).
DEFECTS = ("效劳", "科学开展观", "原那么", "根底", "稳固", "广阔", "到达", "创立", "工作工程")
PHRASES = Phrases(
    target_set_locally="LOCAL-TARGET", deadline_set_locally="", deadline="到{deadline}"
)


def _settings(**values: Any) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///:memory:", _env_file=None, **values)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _problems(tmp_path: Path, raw: dict[str, Any]) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_write(tmp_path, raw))
    return "\n".join(caught.value.problems)


def _all_rendered_texts(settings: Settings) -> list[str]:
    kb = load_knowledge_base()
    values = placeholder_values(settings, PHRASES)
    texts = []
    for entry in kb.entries.values():
        for locale in ("zh_CN", "en"):
            view = entry_view(entry, locale, values)
            texts += [view.title, view.text, view.section]
        texts += entry.keywords
    texts += [node.label(locale) for node in kb.menu.values() for locale in ("zh_CN", "en")]
    return texts


def test_packaged_knowledge_base_covers_every_part_of_the_plan() -> None:
    kb = load_knowledge_base()
    sections = {entry.local("zh_CN").section.split("·")[0] for entry in kb.entries.values()}
    assert {"一、指导思想", "二、争创标准", "三、主要内容"} <= sections
    for required in (
        "collective_leadership",
        "collective_activities",
        "collective_branch",
        "collective_venue",
        "individual_member",
        "individual_cadre",
        "self_study",
        "group_study",
        "exchange_meeting",
        "cadre_training",
        "nonpublic_enterprises",
        "social_organizations",
    ):
        assert required in kb.entries


def test_every_entry_has_chinese_and_english_text() -> None:
    for entry in load_knowledge_base().entries.values():
        for locale in ("zh_CN", "en"):
            local = entry.texts[locale]
            assert local.title and local.text and local.section, (entry.id, locale)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.texts["zh_CN"].text)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in entry.texts["en"].text), entry.id


@pytest.mark.parametrize("word", DEFECTS)
def test_knowledge_base_never_contains_a_defect_word(word: str) -> None:
    texts = _all_rendered_texts(_settings())
    assert [text for text in texts if word in text] == []


@pytest.mark.parametrize("word", DEFECTS)
def test_chinese_catalogues_never_contain_a_defect_word(word: str) -> None:
    for po_file in sorted((ROOT / "locales" / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as fp:
            for message in read_po(fp, locale="zh_CN"):
                assert word not in (message.string or ""), (po_file.name, message.id)


def test_corrected_wording_is_used() -> None:
    joined = "\n".join(_all_rendered_texts(_settings()))
    for correct in (
        "服务青年",
        "科学发展观",
        "党建带团建原则",
        "基础工作规范",
        "巩固和拓展",
        "政治坚定",
        "团结带领广大团员青年",
        "创建活动",
        "工作项目",
        "基本要求",
        "服务发展大局",
        "投身发展实践",
    ):
        assert correct in joined, correct


def test_garbled_numbers_are_never_stated() -> None:
    joined = "\n".join(_all_rendered_texts(_settings()))
    assert "20230" not in joined and "2023月份" not in joined
    assert "LOCAL-TARGET" in joined  # the lost target says it is set locally


def test_study_rules_come_from_the_same_settings_as_check_ins() -> None:
    kb = load_knowledge_base()
    values = placeholder_values(_settings(monthly_study_hours=20, group_study_half_days=3), PHRASES)
    assert "20小时" in entry_view(kb.entries["self_study"], "zh_CN", values).text
    assert "3个半天" in entry_view(kb.entries["group_study"], "zh_CN", values).text
    assert "20 hours" in entry_view(kb.entries["study_system"], "en", values).text


def test_configured_league_building_target_is_stated() -> None:
    kb = load_knowledge_base()
    settings = _settings(nonpublic_league_rate_target="80%", league_rate_deadline="2026年6月底")
    text = entry_view(
        kb.entries["nonpublic_enterprises"], "zh_CN", placeholder_values(settings, PHRASES)
    ).text
    assert "力争到2026年6月底规模以上非公经济组织建团率达到80%" in text
    assert "90家" in text


def test_intact_figures_are_stated_as_given() -> None:
    kb = load_knowledge_base()
    values = placeholder_values(_settings(), PHRASES)
    assert "60%以上" in entry_view(kb.entries["social_organizations"], "zh_CN", values).text
    assert "至少新增90家" in entry_view(kb.entries["nonpublic_enterprises"], "zh_CN", values).text


def test_missing_field_names_the_entry(tmp_path: Path) -> None:
    raw = _raw()
    del raw["entries"][3]["en"]["text"]
    assert f"entry '{raw['entries'][3]['id']}' (en): missing text" in _problems(tmp_path, raw)


def test_missing_keywords_are_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"][0]["keywords"] = []
    assert "entry 'intro': keywords must not be empty" in _problems(tmp_path, raw)


def test_duplicate_id_is_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"].append(dict(raw["entries"][0]))
    assert "entry 'intro': duplicate id" in _problems(tmp_path, raw)


def test_unknown_related_id_is_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"][0]["related"] = ["no_such_entry"]
    assert "entry 'intro': unknown related id 'no_such_entry'" in _problems(tmp_path, raw)


def test_defect_word_is_reported_with_the_entry(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"][0]["zh"]["text"] += "竭诚效劳青年"
    assert "entry 'intro' (zh): contains the defect '效劳'" in _problems(tmp_path, raw)


def test_unknown_placeholder_is_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"][0]["zh"]["text"] += "{monthly_hours}"
    assert "unknown placeholder {monthly_hours}" in _problems(tmp_path, raw)


def test_unknown_menu_item_is_reported(tmp_path: Path) -> None:
    raw = _raw()
    raw["menu"][0]["items"].append("nowhere")
    assert "menu 'root': unknown item 'nowhere'" in _problems(tmp_path, raw)


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text("entries: [\n  - {id: x\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="not valid YAML"):
        load_knowledge_base(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot read the file"):
        load_knowledge_base(tmp_path / "absent.yaml")


def test_every_forbidden_word_is_itself_detected(tmp_path: Path) -> None:
    raw = _raw()
    raw["entries"][0]["en"]["section"] = " ".join(FORBIDDEN_WORDS)
    problems = _problems(tmp_path, raw)
    assert all(f"'{word}'" in problems for word in FORBIDDEN_WORDS)
