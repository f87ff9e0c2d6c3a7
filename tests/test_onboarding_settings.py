"""/settings: language switches at once (menu re-sent), reminders on and off."""

from __future__ import annotations

from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import SettingsAction, SettingsCb
from storage.models import Member
from tests.support.factories import CADRE_A1_TG, STRANGER_TG, World
from tests.support.harness import Harness, joined


async def cadre(app: AppContext) -> Member:
    async with app.sessions() as session:
        return (await session.exec(select(Member).where(Member.telegram_id == CADRE_A1_TG))).one()


async def test_settings_show_language_and_reminders(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/settings")
    assert "语言：中文" in joined(sent) and "提醒：开启" in joined(sent)


async def test_menu_button_opens_settings(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "⚙️ 设置")
    assert "语言：中文" in joined(sent)


async def test_switch_to_english_answers_and_resends_menu_in_english(
    app: AppContext, harness: Harness, world: World
):
    sent = await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.LANGUAGE, value="en"))
    assert "Language: English" in joined(sent)
    assert "📝 Log study" in str(sent[-1].reply_markup)
    assert (await cadre(app)).locale == "en"
    after = await harness.send(CADRE_A1_TG, "/settings")
    assert "Reminders: on" in joined(after)


async def test_forged_language_is_rejected(app: AppContext, harness: Harness, world: World):
    sent = await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.LANGUAGE, value="fr"))
    assert "失效" in joined(sent)
    assert (await cadre(app)).locale == "zh_CN"


async def test_reminders_off_and_on(app: AppContext, harness: Harness, world: World):
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off"))
    assert not (await cadre(app)).reminders_enabled
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="on"))
    assert (await cadre(app)).reminders_enabled


async def test_unregistered_user_has_no_settings(harness: Harness, world: World):
    sent = await harness.send(STRANGER_TG, "/settings")
    assert "还没有加入" in joined(sent)
