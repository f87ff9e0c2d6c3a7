from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness, joined


async def test_help_lists_member_commands_in_chinese(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/help")
    assert "/log" in joined(sent)


async def test_cancel_outside_a_flow_says_nothing_to_cancel(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/cancel")
    assert len(sent) == 1
