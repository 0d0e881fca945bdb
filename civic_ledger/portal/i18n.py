"""The portal's languages: which one a request gets, its message catalogue, and how dates and
amounts are written in it.

A request's language is, in order: `?lang=` (zh-CN or en; the portal then remembers it in the
`lang` cookie), the `lang` cookie, the browser's Accept-Language, English. Catalogues are
Babel's compiled `locales/<locale>/LC_MESSAGES/messages.mo`, extracted from the templates and
the portal's Python with `pybabel` (see `babel.cfg`); `tests/portal/test_i18n.py` fails when a
template holds text outside `{% trans %}` / `_()` or a `.mo` is older than its `.po`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
#: The languages offered: URL/cookie tag -> Babel locale.
LANGUAGES = {"en": "en", "zh-CN": "zh_CN"}
#: Each language named in itself (the language switch shows these, untranslated).
NAMES = {"en": "English", "zh-CN": "中文"}
DEFAULT = "en"
COOKIE = "lang"
TOKEN_DECIMALS = 18  # the city token's (and every amount's) decimals


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale` (English: the source text itself)."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(LOCALES_DIR, [locale], DOMAIN)


def tag_of(value: str | None) -> str | None:
    """The offered language a `?lang=` / cookie value names (case and _/- ignored), else None."""
    if not value or len(value) > 16:
        return None
    key = value.strip().replace("_", "-").lower()
    for tag in LANGUAGES:
        if tag.lower() == key:
            return tag
    return None


def negotiate(query: str | None, cookie: str | None, accept: str | None) -> tuple[str, bool]:
    """The language tag for a request, and whether it came from the query (to remember it)."""
    chosen = tag_of(query)
    if chosen:
        return chosen, True
    chosen = tag_of(cookie)
    if chosen:
        return chosen, False
    for part in (accept or "")[:512].split(","):
        name = part.split(";")[0].strip().lower()
        if name.startswith("zh"):
            return "zh-CN", False
        if name.startswith("en"):
            return "en", False
    return DEFAULT, False


@dataclass(frozen=True)
class Lang:
    """One request's language: its catalogue and formatters (used by the templates)."""

    tag: str

    @property
    def locale(self) -> str:
        return LANGUAGES[self.tag]

    @property
    def catalogue(self) -> NullTranslations:
        return translations(self.locale)

    def gettext(self, message: str) -> str:
        return self.catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalogue.ngettext(singular, plural, n)

    def date(self, timestamp: int | None) -> str:
        if not timestamp:
            return "-"
        when = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
        return format_date(when, format="long", locale=self.locale)

    def datetime(self, timestamp: int | None) -> str:
        """A chain time, in UTC, as this language writes it."""
        if not timestamp:
            return "-"
        when = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
        return format_datetime(when, format="medium", tzinfo=dt.UTC, locale=self.locale) + " UTC"

    def number(self, value: int | str | None) -> str:
        if value is None:
            return "-"
        return format_decimal(int(value), locale=self.locale)

    def amount(self, units: int | str | None) -> str:
        """An amount of city tokens (uint256 base units) with grouping and up to 2 decimals."""
        if units is None:
            return "-"
        value = Decimal(int(units)) / (Decimal(10) ** TOKEN_DECIMALS)
        return format_decimal(value, format="#,##0.##", locale=self.locale)

    def month(self, key: str) -> str:
        """A "YYYY-MM" month as this language names it (2026年11月, Nov 2026)."""
        year, month = (int(x) for x in key.split("-"))
        return format_skeleton("yMMM", dt.date(year, month, 1), locale=self.locale)

    @property
    def html_lang(self) -> str:
        return self.tag

    @property
    def language_name(self) -> str:
        return Locale.parse(self.locale).get_display_name(self.locale) or self.tag
