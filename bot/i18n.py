"""gettext catalogues read straight from the .po files (no compile step on a fresh clone).

Each feature keeps its own `locales/<lang>/LC_MESSAGES/<feature>.po`; they are merged
into one catalogue per language at start-up.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED_LOCALES = ("zh_CN", "en")


class PoI18n(I18n):
    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for lang_dir in sorted(self.path.iterdir()):
            po_files = sorted((lang_dir / "LC_MESSAGES").glob("*.po"))
            if po_files:
                translations[lang_dir.name] = _merge_catalogues(po_files, lang_dir.name)
        return translations


def _merge_catalogues(po_files: list[Path], locale: str) -> gettext.GNUTranslations:
    merged = None
    for po_file in po_files:
        with po_file.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if message.id:
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@contextmanager
def i18n_context(i18n: I18n, locale: str) -> Iterator[None]:
    """Makes `gettext` render in `locale` (handlers, and scheduler jobs per recipient).

    Set on the base class: aiogram's `gettext` looks up `I18n.get_current()`, and a
    subclass would otherwise get a context variable of its own.
    """
    token = I18n.set_current(i18n)
    try:
        with i18n.use_locale(locale):
            yield
    finally:
        I18n.reset_current(token)


def create_i18n(default_locale: str = "zh_CN") -> PoI18n:
    return PoI18n(path=LOCALES_DIR, default_locale=default_locale, domain="messages")


def locale_for_language_code(language_code: str | None, default: str) -> str:
    """Telegram's `language_code` (IETF tag) to one of our locales."""
    if not language_code:
        return default
    primary = language_code.lower().split("-")[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return default
