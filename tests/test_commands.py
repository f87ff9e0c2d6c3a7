from aiogram.methods import SetMyCommands

from bot.commands import publish_commands
from bot.context import AppContext
from tests.support.mocked_bot import create_mocked_bot


async def test_command_menu_is_published_in_chinese_and_english(app: AppContext) -> None:
    bot, session = create_mocked_bot()
    await publish_commands(bot, app.i18n)
    published = [r for r in session.requests if isinstance(r, SetMyCommands)]
    by_language = {r.language_code: r.commands[0].description for r in published}
    assert by_language == {None: "记录学习", "en": "Log study", "zh": "记录学习"}
