"""UI languages through gettext catalogs: ui/locale/<lang>/LC_MESSAGES/pos.po.

The .po files are the source; no binary is committed. An installed wheel carries the .mo files,
compiled while it was built (setup.py), and reads them from the package (importlib.resources);
a source checkout compiles them (Babel's writer, no msgfmt needed) into a cache directory at
start when missing or older than the .po.
In .kv files: ``text: _("Charge", app.lang)`` — the second argument only makes Kivy re-evaluate
the expression when the language changes.
"""
from __future__ import annotations

import gettext
import logging
import os
from importlib import resources
from pathlib import Path

log = logging.getLogger("ui.i18n")

LOCALE_DIR = Path(str(resources.files("ui") / "locale"))
DOMAIN = "pos"
LANGUAGES = ("en", "fr_CA", "zh_Hans")
LANGUAGE_NAMES = {"en": "English", "fr_CA": "Français", "zh_Hans": "中文"}
CACHE_ENV = "POS_TERMINAL_UI_CACHE"

_current: gettext.NullTranslations = gettext.NullTranslations()
_current_lang = "en"
_recorder: set[str] | None = None    # tests: every msgid looked up (off in the app: it would grow)


def record_msgids(target: set[str] | None) -> None:
    """Record every msgid translated from now on into ``target`` (None stops recording)."""
    global _recorder
    _recorder = target


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("pos-terminal", appauthor=False)) / "locale"


def compile_catalogs(target: Path | None = None) -> Path:
    """Compile every pos.po to <target>/<lang>/LC_MESSAGES/pos.mo when stale."""
    target = target or cache_dir()
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        mo = target / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        # Babel's catalog reader and writer only when a catalog is stale (not on every start).
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        tmp = mo.with_suffix(".tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)
    return target


def packaged_catalogs() -> Path | None:
    """The catalogs compiled into an installed wheel (None in a source checkout, or when a .po is
    newer than its .mo: then they are compiled at start)."""
    found = False
    for lang in LANGUAGES:
        mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        po = mo.with_suffix(".po")
        if mo.exists():
            found = True
            if po.exists() and po.stat().st_mtime > mo.stat().st_mtime:
                return None
        elif po.exists():
            return None
    return LOCALE_DIR if found else None


def set_language(lang: str, mo_dir: Path | None = None) -> str:
    global _current, _current_lang
    if lang not in LANGUAGES:
        lang = "en"
    # English has a catalog too: the messages are English already, but a few msgids are the
    # journal's identifiers (PARTIALLY_REFUNDED, CANCEL_PENDING) that a cashier reads as words.
    mo_dir = mo_dir or packaged_catalogs() or compile_catalogs()
    try:
        _current = gettext.translation(DOMAIN, localedir=str(mo_dir), languages=[lang])
    except OSError:
        log.warning("no catalog for %s: showing English", lang)
        _current = gettext.NullTranslations()
    _current_lang = lang
    return lang


def current_language() -> str:
    return _current_lang


def _(message: str, *_deps: object) -> str:
    """Translate ``message``; extra arguments are ignored (they are Kivy binding triggers)."""
    if _recorder is not None and message:
        _recorder.add(message)
    return _current.gettext(message)


def language_for_locale(locale: str) -> str:
    """The UI language for a terminal.locale (en_US | en_CA | fr_CA | zh_Hans)."""
    if locale.startswith("fr"):
        return "fr_CA"
    if locale.startswith("zh"):
        return "zh_Hans"
    return "en"


def money_locale(lang: str, terminal_locale: str) -> str:
    """The Babel locale for money: the terminal's own English variant, or the language's."""
    if lang == "en":
        return terminal_locale if terminal_locale.startswith("en") else "en_US"
    return lang
