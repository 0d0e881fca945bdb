"""The portal's languages: no template text outside the catalogue, catalogues complete and
compiled, the language chosen by ?lang=, cookie or Accept-Language, formats per locale."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from civic_ledger.portal import i18n
from civic_ledger.portal.views import TEMPLATES, environment

PORTAL = Path(i18n.__file__).parent
LETTER = re.compile(r"[^\W\d_]")
ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "value", "label")


class _Text(HTMLParser):
    """Text nodes and human-readable attribute values of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = ("type", "hidden") in attrs
        for name, value in attrs:
            if name in ATTRIBUTES and value and not hidden:
                self.found.append(value)

    def handle_data(self, data: str) -> None:
        self.found.append(data)


def untranslated(source: str, env: Environment) -> list[str]:
    """The literal text of a template that is neither in {% trans %} nor an expression."""
    kept: list[str] = []
    in_trans = 0
    tokens = [t for t in env.lex(source) if t[1] != "whitespace"]
    for i, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and i > 0 and tokens[i - 1][1] == "block_begin":
            if value == "trans":
                in_trans += 1
            elif value == "endtrans":
                in_trans -= 1
        if kind == "data" and not in_trans:
            kept.append(value)
        elif kind in ("variable_begin", "block_begin") and not in_trans:
            kept.append(" \x00 ")  # an expression: stands for its value
    parser = _Text()
    parser.feed("".join(kept))
    return [t.strip() for t in parser.found if LETTER.search(t.replace("\x00", ""))]


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_untranslated_text(name: str) -> None:
    env = environment()
    found = untranslated((TEMPLATES / name).read_text(encoding="utf-8"), env)
    assert not found, f"{name}: text outside {{% trans %}} / _(): {found}"


def test_the_check_can_fail() -> None:
    env = environment()
    assert untranslated('<p>Hello</p><p title="Tip">{{ _("ok") }}</p>', env) == ["Hello", "Tip"]
    assert untranslated("<p>{% trans %}Hello{% endtrans %} {{ x }} · 2</p>", env) == []


def _po(locale: str):
    with open(PORTAL / "locales" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True",
                                     "lstrip_blocks": "True"}}  # fmt: skip
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PORTAL), method_map, options, keywords
        )
    }
    # the agencies' names, from the role catalogue (babel.cfg's second input)
    roles = PORTAL.parent / "access" / "roles.py"
    return found | {message for _line, message, _comments, _context
                    in extract_from_file("python", str(roles), keywords)}  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_catalogues_are_current_and_compiled(locale: str) -> None:
    catalogue = _po(locale)
    ids = {m.id for m in catalogue if m.id}
    extracted = _extracted()
    assert extracted - ids == set(), "messages not in the catalogue: run pybabel extract/update"
    assert ids - extracted == set(), "obsolete messages in the catalogue: run pybabel update"
    if locale == "zh_CN":
        missing = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
        assert not missing, f"untranslated or fuzzy: {missing}"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    mo = PORTAL / "locales" / locale / "LC_MESSAGES" / "messages.mo"
    assert compiled.getvalue() == mo.read_bytes(), f"{mo} is stale: run pybabel compile"


def test_language_negotiation() -> None:
    assert i18n.negotiate("zh-CN", None, None) == ("zh-CN", True)
    assert i18n.negotiate("zh_cn", "en", None) == ("zh-CN", True)
    assert i18n.negotiate("<script>", "zh-CN", None) == ("zh-CN", False)
    assert i18n.negotiate(None, None, "zh-TW,zh;q=0.9,en;q=0.8") == ("zh-CN", False)
    assert i18n.negotiate(None, None, "fr-FR,en;q=0.5") == ("en", False)
    assert i18n.negotiate(None, None, None) == ("en", False)


def test_formats_per_locale() -> None:
    en, zh = i18n.Lang("en"), i18n.Lang("zh-CN")
    assert en.amount(1234_5 * 10**17) == "1,234.5" and zh.amount(10**18) == "1"
    assert zh.month("2026-11") == "2026年11月" and en.month("2026-11") == "Nov 2026"
    assert "2026年" in zh.date(1796002315) and "2026" in en.date(1796002315)
    assert zh.gettext("Verify") == "核验" and en.gettext("Verify") == "Verify"


def test_pages_in_chinese(portal) -> None:
    page = portal.get("/verify?lang=zh-CN")
    assert '<html lang="zh-CN">' in page.text and '<meta charset="utf-8">' in page.text
    assert "核验证书或记录" in page.text
    assert "lang=zh-CN" in page.headers["set-cookie"]
    again = portal.get("/fund")  # the cookie remembers the choice
    assert "基金公开" in again.text
    english = portal.get("/fund", params={"lang": "en"})
    assert "Fund transparency" in english.text
    portal.cookies.clear()
    browser = portal.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "城市账本" in browser.text
    refused = portal.get("/verify", params={"record": "0x12", "lang": "zh-CN"})
    assert refused.status_code == 422 and "记录编号必须是 0x 加 64 位十六进制数字" in refused.text
