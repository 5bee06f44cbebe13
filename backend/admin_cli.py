# SPDX-License-Identifier: EUPL-1.2
"""`heitje admin …` (bootstrap officers and roles, policy), `heitje seed` (demo data, development only) and
`heitje serve` (the API and web apps with uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from backend.errors import BackendError
from backend.models.accounts import OfficerRole
from heitje.settings import get_settings

admin_app = typer.Typer(help="Bootstrap and administer officers and policy.", no_args_is_help=True)
ROLE_HELP = "Role (repeatable): " + ", ".join(r.value for r in OfficerRole)


def _factory():  # type: ignore[no-untyped-def]
    from heitje.db import make_engine, session_factory

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    return settings, engine, session_factory(engine)


def _password(value: str | None) -> str:
    if value:
        return value
    env = os.environ.get("HEITJE_OFFICER_PASSWORD")
    if env:
        return env
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@admin_app.command("create-officer")
def create_officer(
    email: Annotated[str, typer.Option(help="Login (e-mail address)")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[list[str], typer.Option(help=ROLE_HELP)],
    password: Annotated[str | None, typer.Option(help="Prompted (or HEITJE_OFFICER_PASSWORD) when omitted")] = None,
) -> None:
    """Create an officer account with roles (the first admin is bootstrapped this way)."""
    from backend.services import officers
    from heitje.db import unit_of_work

    settings, engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            user = officers.create_officer(session, settings, None, email, _password(password), name, role)
            typer.echo(f"officer {user.id} created with roles {', '.join(user.roles)}")
    except BackendError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@admin_app.command("set-roles")
def set_roles(
    email: Annotated[str, typer.Option(help="The officer's login")],
    role: Annotated[list[str], typer.Option(help=ROLE_HELP)],
) -> None:
    """Replace an officer's roles (audited)."""
    from backend.errors import NotFound
    from backend.services import accounts, officers
    from heitje.db import unit_of_work

    settings, engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            user = accounts.find_by_login(session, settings, email)
            if user is None:
                raise NotFound("no such officer")
            for r in role:
                if r not in OfficerRole.__members__:
                    raise NotFound(f"unknown role {r!r}")
            officers.set_roles(session, None, user.id, role)
            typer.echo(f"officer {user.id}: {', '.join(sorted(set(role))) or '(no roles)'}")
    except BackendError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@admin_app.command("list-officers")
def list_officers() -> None:
    """Officers and their roles (no personal data)."""
    from backend.services import officers

    _, engine, factory = _factory()
    try:
        with factory() as session:
            for user in officers.list_officers(session):
                typer.echo(f"{user.id:>5}  {user.status:<8}  {user.display_name:<30}  {', '.join(user.roles)}")
    finally:
        engine.dispose()


@admin_app.command("set-policy")
def set_policy(
    key: Annotated[str, typer.Argument(help="hourly_max_cents, default_claim_hours, max_active_claims, …")],
    value: Annotated[int, typer.Argument()],
) -> None:
    """Change run-time policy, e.g. `heitje admin set-policy hourly_max_cents 600` (audited)."""
    from backend.services import policy
    from heitje.db import unit_of_work

    _, engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            values = policy.update(session, None, {key: value})  # type: ignore[arg-type]
            typer.echo(f"{key} = {values[key]}")
    except BackendError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def seed() -> None:
    """Create demo officers, citizens, a merchant and tasks, and print their logins (development only)."""
    from backend.dev import print_logins
    from backend.dev import seed as do_seed
    from heitje.errors import ConfigurationError

    try:
        print_logins(do_seed(get_settings()))
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (API workers are stateless)")] = 1,
) -> None:
    """Serve the API and the web apps with uvicorn (the relayer and the indexer run as their own processes)."""
    import uvicorn

    uvicorn.run("backend.admin_cli:asgi_app", factory=True, host=host, port=port, workers=workers, access_log=False)


def asgi_app():  # type: ignore[no-untyped-def]
    from backend.api.app import create_app

    return create_app(get_settings())


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    app.command("seed")(seed)
    app.command("serve")(serve)
