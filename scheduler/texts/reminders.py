"""Outbox message renderers: reminders (called in the recipient's locale at send time)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.checkin import log_start_keyboard
from bot.keyboards.meetings import MtAction, MtCb, announce_keyboard
from scheduler.texts import Rendered, Renderer


def _log_hint() -> str:
    return _(
        "Tap “📝 Log study” in the menu, or send one message, e.g. "
        "/log 2 read chapter 3 of the League constitution"
    )


def month_start(args: dict[str, Any]) -> Rendered:
    text = _(
        "New month {month}: study at least {target_hours} h yourself, your team holds "
        "{group_half_days} half-days of group study, and the exchange meeting is scheduled "
        "by day {meeting_day} of the month."
    ).format(**args)
    if not args.get("last_counted", True):  # rows queued before the flag existed have none
        return Rendered(text)
    if args["last_reached"]:
        last = _(
            "Last month ({last_month}) you logged {last_done_hours} h — target reached. Well done!"
        )
    else:
        last = _("Last month ({last_month}) you logged {last_done_hours} h.")
        if "open_until_day" in args:  # rows queued before it existed have none
            last += " " + _(
                "Study you forgot to log can still be added until day {open_until_day} of this "
                "month: /log, then pick the day."
            )
    return Rendered(f"{text}\n{last.format(**args)}")


def nudge(args: dict[str, Any]) -> Rendered:
    text = _(
        "{month}: you have logged {done_hours} of {target_hours} h, a little behind the pace. "
        "{left_hours} h to go in {days_left} days — about {per_day_hours} h a day."
    ).format(**args)
    return Rendered(f"{text}\n{_log_hint()}", log_start_keyboard())


def final(args: dict[str, Any]) -> Rendered:
    text = _(
        "Last days of {month}: {done_hours} of {target_hours} h logged, {left_hours} h still "
        "missing. Did you study and forget to log it?"
    ).format(**args)
    return Rendered(f"{text}\n{_log_hint()}", log_start_keyboard())


def group_study(args: dict[str, Any]) -> Rendered:
    return Rendered(
        _(
            "{org} has {done_half_days} of {required_half_days} half-days of group study "
            "recorded for {month}. Please hold and record the rest (👥 Group study)."
        ).format(**args)
    )


def meeting_missing(args: dict[str, Any]) -> Rendered:
    return Rendered(
        _(
            "{org} has no exchange meeting scheduled for {month} yet. Please schedule it "
            "(🗣 Exchange meeting)."
        ).format(**args)
    )


def _meeting_lines(args: dict[str, Any]) -> str:
    return _("Time: {when}\nPlace: {place}\nAgenda: {agenda}").format(**args)


def meeting_soon(args: dict[str, Any]) -> Rendered:
    text = _("Reminder: the exchange meeting is coming up.")
    return Rendered(f"{text}\n{_meeting_lines(args)}", announce_keyboard(args["meeting_id"]))


def meeting_share(args: dict[str, Any]) -> Rendered:
    text = _("Please submit your reflections (心得) before the exchange meeting.")
    share = MtCb(action=MtAction.SHARE, meeting_id=args["meeting_id"]).pack()
    button = InlineKeyboardButton(text=_("✍️ Submit my reflections"), callback_data=share)
    markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return Rendered(f"{text}\n{_meeting_lines(args)}", markup)


def weekly_digest(args: dict[str, Any]) -> Rendered:
    lines = [
        _("Weekly digest of {org}, {month}").format(**args),
        _("Members: {members}, target reached: {reached}, behind the pace: {behind}").format(
            **args
        ),
        _("Group study: {group_half_days} of {required_half_days} half-days").format(**args),
    ]
    if args["behind_names"]:
        names = "、".join(args["behind_names"])
        more = args["behind"] - len(args["behind_names"])
        lines.append(_("Behind: {names}").format(names=names))
        if more > 0:
            lines.append(_("… and {count} more").format(count=more))
    return Rendered("\n".join(lines))


def month_close(args: dict[str, Any]) -> Rendered:
    text = _(
        "{month} has ended. Members: {members}, target reached: {reached}, on leave: "
        "{on_leave}. Organisations with enough group study: {orgs_group_ok} of {orgs}. "
        "Details: 📈 Statistics"
    ).format(**args)
    if "open_until_day" in args:  # rows queued before it existed have none
        text += "\n" + _(
            "Members can still add entries for it until day {open_until_day}, so these "
            "figures may still change."
        ).format(**args)
    return Rendered(text)


RENDERERS: dict[str, Renderer] = {
    "reminder.month_start": month_start,
    "reminder.nudge": nudge,
    "reminder.final": final,
    "reminder.group_study": group_study,
    "reminder.meeting_missing": meeting_missing,
    "reminder.meeting_soon": meeting_soon,
    "reminder.meeting_share": meeting_share,
    "reminder.weekly_digest": weekly_digest,
    "reminder.month_close": month_close,
}
