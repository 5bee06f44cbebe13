# SPDX-License-Identifier: EUPL-1.2
"""Backend subcommands of `heitje`. `register(app)` adds every command and sub-app listed here."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer

log = logging.getLogger(__name__)


# ───────────────────────────── heitje relay ─────────────────────────────


def relay(
    batch_size: Annotated[int, typer.Option(help="Mints per mintForTasks transaction")] = 200,
    resend_after: Annotated[float, typer.Option(help="Seconds before a transaction is broadcast again")] = 5.0,
) -> None:
    """Run the transaction manager: leader per chain (a second copy waits), relays queued intents."""
    from backend.relayer.bootstrap import bootstrap
    from backend.relayer.worker import RelayerConfig
    from heitje.errors import HeitjeError
    from heitje.settings import get_settings

    settings = get_settings()
    try:
        relayer = bootstrap(settings, config=RelayerConfig(batch_size=batch_size, resend_after=resend_after))
    except HeitjeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    stop = threading.Event()

    def _handler(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    relayer.run(stop)


# ───────────────────────────── heitje keys … ─────────────────────────────

keys_app = typer.Typer(help="Municipal role keys and the custodial keystore.", no_args_is_help=True)


@keys_app.command("list")
def keys_list() -> None:
    """Role keystores and the address each holds (read without unlocking)."""
    from heitje.settings import get_settings
    from heitje.signing import ROLE_NAMES, keystore_address, keystore_path

    settings = get_settings()
    for role in ROLE_NAMES:
        typer.echo(f"{role:10} {keystore_address(keystore_path(settings, role)) or '-'}")


@keys_app.command("new")
def keys_new(
    role: Annotated[str, typer.Argument(help="admin, issuer, registrar, settler, pauser or recovery")],
    force: Annotated[bool, typer.Option(help="Replace an existing keystore")] = False,
    import_key: Annotated[bool, typer.Option("--import", help="Import a key (asked for, hidden)")] = False,
) -> None:
    """Create (or import) the key of a municipal role into its scrypt keystore; prints the address only."""
    from heitje.errors import ConfigurationError
    from heitje.settings import get_settings
    from heitje.signing import new_role_key

    private_key = None
    if import_key:
        entered = typer.prompt("private key (hex)", hide_input=True)
        private_key = bytes.fromhex(entered.strip().removeprefix("0x"))
    try:
        address = new_role_key(get_settings(), role, private_key, force=force)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{role}: {address}")


@keys_app.command("generate-master-key")
def keys_generate_master_key() -> None:
    """Print a new random master key (base64:…) to store in the secret manager as HEITJE_MASTER_KEY."""
    from backend.keystore import MasterKey

    typer.echo(MasterKey.generate())


def _session_scope() -> Any:
    from heitje.db import make_engine, session_factory, unit_of_work
    from heitje.settings import get_settings

    return unit_of_work(session_factory(make_engine(get_settings().effective_database_url)))


@keys_app.command("rotate-master")
def keys_rotate_master(
    new_key_env: Annotated[
        str, typer.Option(help="Environment variable holding the new master key (asked for if unset)")
    ] = "HEITJE_NEW_MASTER_KEY",
) -> None:
    """Re-wrap every custodial data key from HEITJE_MASTER_KEY to the new key; addresses stay the same.

    Afterwards set HEITJE_MASTER_KEY to the new key and restart the services.
    """
    import os

    from backend.keystore import KeystoreError, rotate_master_key
    from heitje.settings import get_settings

    new = os.environ.get(new_key_env) or typer.prompt("new master key", hide_input=True)
    try:
        with _session_scope() as session:
            count = rotate_master_key(session, get_settings().master_key, new)
    except KeystoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"re-wrapped {count} data keys; now set HEITJE_MASTER_KEY to the new key")


@keys_app.command("shred")
def keys_shred(
    address: Annotated[str, typer.Argument(help="Custodial account address")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: the key can never be used again")] = False,
) -> None:
    """Destroy a custodial account's data key (GDPR erasure). Irreversible."""
    from backend.keystore import KeystoreError, shred

    if not yes:
        typer.echo("refusing without --yes: shredding is irreversible", err=True)
        raise typer.Exit(1)
    try:
        with _session_scope() as session:
            shred(session, address)
    except KeystoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"shredded {address}")


@keys_app.command("accounts")
def keys_accounts() -> None:
    """Number of custodial keys per master-key fingerprint (shows whether a rotation finished)."""
    from backend.keystore import account_count, master_key

    with _session_scope() as session:
        counts = account_count(session)
    typer.echo(f"configured master key: {master_key().key_id}")
    for key_id, n in sorted(counts.items()):
        typer.echo(f"{key_id}  {n}")


#: Commands and sub-apps this module contributes; other backend parts append theirs.
COMMANDS: list[tuple[str, Callable[..., Any]]] = [("relay", relay)]
SUB_APPS: list[tuple[str, typer.Typer]] = [("keys", keys_app)]


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS:
        app.command(name)(command)
    for name, sub in SUB_APPS:
        app.add_typer(sub, name=name)
