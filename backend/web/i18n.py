# SPDX-License-Identifier: EUPL-1.2
"""Dutch and English for the web apps: Babel catalogs under `locale/`, language negotiation, formatting.

The language is the `heitje_lang` cookie if set (the switch remembers a choice), otherwise the best match
in Accept-Language, otherwise Dutch. Message ids are English; `en` and `nl` catalogs both translate them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations
from starlette.requests import Request

LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"
LANG_COOKIE = "heitje_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
TZ = ZoneInfo("Europe/Amsterdam")


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark for translation, translate later"
    return message


@cache
def translations(lang: str) -> Translations:
    loaded = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(loaded, Translations):  # no catalog found: Babel hands back NullTranslations
        raise RuntimeError(f"no compiled catalog for {lang!r} under {LOCALE_DIR}")
    return loaded


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            weighted.append((-q, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LOCALES:
        return chosen
    for tag in parse_accept_language(request.headers.get("accept-language", "")):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def money(cents: int | None, lang: str) -> str:
    """An amount of Heitje cents as `12,50` (nl) or `12.50` (en); the unit is added by the template."""
    value = Decimal(cents or 0) / 100
    return format_decimal(value, format="#,##0.00", locale=Locale.parse(lang))


def number(value: int | float | Decimal | None, lang: str) -> str:
    return format_decimal(value or 0, locale=Locale.parse(lang))


def when(value: datetime | date | None, lang: str, style: str = "medium") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return format_datetime(aware.astimezone(TZ), format="short" if style == "short" else "medium", locale=lang)
    return format_date(value, format=style, locale=lang)
