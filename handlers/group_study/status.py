"""/group: the month status of an organisation, and picking another one of the subtree."""

from __future__ import annotations

from datetime import date

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.keyboards import group_study as kb
from bot.keyboards.group_study import GsCb
from bot.rules import Month, StudyPolicy, progress_bar
from bot.services import group_study as service
from bot.services.orgs import managed_root
from handlers.flow import for_managers, managed_orgs, reply_long, say, tapped_org
from handlers.group_study.common import app_today, half_days_text
from storage.models import Member, Organization


async def send_status(
    event: Message | CallbackQuery,
    session: AsyncSession,
    actor: Member,
    org: Organization,
    policy: StudyPolicy,
    day: date,
    head: str = "",
) -> None:
    """The month status of `org` with its buttons, after `head` if any.

    A status lists every session of the month (topics up to 200 characters): it is split.
    """
    status = await service.month_status(session, org, Month.of(day), policy)
    ratio = status.half_days / status.required if status.required else 1.0
    lines = [head, ""] if head else []
    lines += [
        _("👥 {org} · group study in {month}: {done}/{required} half-days").format(
            org=org.name,
            month=status.month.key,
            done=half_days_text(status.half_days),
            required=status.required,
        ),
        progress_bar(ratio),
    ]
    if not status.sessions:
        lines.append(_("No group study recorded this month yet."))
    for study, count in status.sessions:
        lines.append(
            _("· {day} · {half_days} half-days · {topic} · {count} attended").format(
                day=f"{study.study_date:%m-%d}",
                half_days=half_days_text(study.half_days),
                topic=study.topic,
                count=count,
            )
        )
    editable = [s for s, _n in status.sessions if policy.is_editable(s.study_date, day)]
    can_pick = len(await managed_orgs(session, actor)) > 1
    markup = kb.status_keyboard(org, editable, can_pick_org=can_pick)
    await reply_long(event, "\n".join(lines), markup)


@for_managers
async def show_status(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """/group: the month status of the organisation the secretary or admin manages."""
    await state.clear()
    root = await managed_root(session, member)
    assert root is not None
    await send_status(message, session, member, root, app.policy, app_today(app))


@for_managers
async def pick_org(
    callback: CallbackQuery, callback_data: GsCb, session: AsyncSession, member: Member
) -> None:
    """The organisations of the subtree, paged, to see or record another one's group study."""
    orgs = await managed_orgs(session, member)
    await say(callback, _("Choose the organisation:"), kb.org_picker(orgs, callback_data.page))


@for_managers
async def org_status(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    org = await tapped_org(callback, member, session, callback_data.id)
    if org is None:
        return
    await send_status(callback, session, member, org, app.policy, app_today(app))
