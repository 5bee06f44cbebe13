# SPDX-License-Identifier: EUPL-1.2
"""Keep the web apps' message catalogs up to date: `python -m backend.web.catalogs`.

1. extract every message from the page code and templates (babel.cfg) into `locale/messages.pot`;
2. merge it into `nl` and `en` (`en` translates every id to itself: the ids are English);
3. compile the `.mo` files the server loads (committed, so a fresh clone needs no build step).

`python -m backend.web.catalogs --check` fails when a catalog is stale or a Dutch message is missing.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from backend.web.i18n import DOMAIN, LOCALE_DIR, LOCALES
from heitje.settings import PROJECT_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract() -> Catalog:
    with open(PROJECT_ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="Heitje", msgid_bugs_address="", copyright_holder="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str, template: Catalog) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="Heitje", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    if lang == "en":
        for msg in catalog:
            strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
            if msg.id and not any(strings):
                msg.string = msg.id
    return catalog


def missing(catalog: Catalog) -> list[str]:
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if msg.fuzzy or not all(strings):
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def render_po(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    return buf.getvalue()


def render_mo(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    check = "--check" in argv
    template = extract()
    stale = []
    for lang in LOCALES:
        catalog = load(lang, template)
        po, mo = render_po(catalog), render_mo(catalog)
        path = po_path(lang)
        current = path.read_bytes() if path.exists() else b""
        mo_path = path.with_suffix(".mo")
        current_mo = mo_path.read_bytes() if mo_path.exists() else b""
        gaps = missing(catalog)
        if check:
            if _strip_dates(current) != _strip_dates(po) or _messages(current_mo) != _messages(mo):
                stale.append(f"{lang}: catalog is stale; run python -m backend.web.catalogs")
            if gaps:
                stale.append(f"{lang}: {len(gaps)} untranslated, e.g. {gaps[:3]}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(po)
        mo_path.write_bytes(mo)
        print(f"{lang}: {len(catalog)} messages, {len(gaps)} untranslated")
    if not check:
        buf = io.BytesIO()
        write_po(buf, template, width=120, sort_output=True, include_lineno=False)
        (LOCALE_DIR / f"{DOMAIN}.pot").write_bytes(buf.getvalue())
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


def _messages(mo: bytes) -> dict[object, object]:
    """The translations inside a compiled catalog (its header, with the creation date, left out)."""
    if not mo:
        return {}
    return {str(m.id): str(m.string) for m in read_mo(io.BytesIO(mo)) if m.id}


def _strip_dates(po: bytes) -> bytes:
    return b"\n".join(line for line in po.splitlines() if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision')))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
