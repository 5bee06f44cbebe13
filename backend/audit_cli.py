# SPDX-License-Identifier: EUPL-1.2
"""`heitje audit verify`: check the hash chain of the officer audit log; exit 1 at the first broken entry."""

from __future__ import annotations

from typing import Annotated

import typer

audit_app = typer.Typer(help="The hash-chained audit log of officer actions.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    database_url: Annotated[str | None, typer.Option(help="Database (default HEITJE_DATABASE_URL)")] = None,
) -> None:
    """Recompute every entry's hash and link; report the first entry that was edited, removed or reordered."""
    from backend.services import audit
    from heitje.db import make_engine, session_factory
    from heitje.settings import get_settings

    url = database_url or get_settings().effective_database_url
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            result = audit.verify(session)
            session.rollback()
    finally:
        engine.dispose()
    if result.ok:
        typer.echo(f"audit log intact: {result.entries} entries")
        return
    typer.echo(f"audit log BROKEN at entry {result.first_bad_seq}: {result.reason}", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
