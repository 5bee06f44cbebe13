# SPDX-License-Identifier: EUPL-1.2
"""The `heitje` command line. Each subcommand is one process of the system, or a setup step."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from heitje.settings import Settings, get_settings

app = typer.Typer(help="Heitje: a municipal closed-loop currency for public-space tasks.", no_args_is_help=True)
log = logging.getLogger("heitje")


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    _setup_logging(verbose)


@app.command()
def compile(force: Annotated[bool, typer.Option(help="Rebuild even when nothing changed")] = False) -> None:
    """Compile the contracts into build/contracts/ (offline, pinned solc)."""
    from heitje.compiler import compile_contracts

    for name, path in compile_contracts(force=force).items():
        typer.echo(f"{name}: {path}")


@app.command()
def chain(
    port: Annotated[int, typer.Option(help="JSON-RPC port on 127.0.0.1")] = 8545,
    block_time: Annotated[float, typer.Option(help="Seconds per block; 0 mines one block per transaction")] = 1.0,
    data_dir: Annotated[Path | None, typer.Option(help="Folder for the persisted chain state")] = None,
) -> None:
    """Run a local gas-free anvil chain until interrupted; state persists in the data folder."""
    from heitje.chain.anvil import Anvil

    settings = get_settings()
    state = (data_dir or settings.data_dir) / "chain" / "state.json"
    node = Anvil(port=port, block_time=block_time, state_path=state, log_path=state.parent / "anvil.log").start()
    typer.echo(f"anvil listening on {node.url} (chain id {node.chain_id}, state {state})")
    _wait_for_signal()
    node.stop()


def _wait_for_signal() -> None:
    stop = False

    def _handler(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    while not stop:
        time.sleep(0.2)


@app.command()
def deploy(
    rpc: Annotated[str | None, typer.Option(help="JSON-RPC URL (default HEITJE_RPC_URL)")] = None,
    force: Annotated[bool, typer.Option(help="Deploy even if the manifest names a live contract")] = False,
) -> None:
    """Deploy HeitjeToken, grant roles and write deployments/<chainId>.json."""
    from heitje.chain.abi import heitje_abi
    from heitje.chain.anvil import DEV_CHAIN_ID
    from heitje.chain.client import Chain, Fees
    from heitje.deploy import deploy as do_deploy
    from heitje.errors import HeitjeError
    from heitje.signing import load_signer

    settings = get_settings()
    chain_ = Chain(
        rpc or settings.rpc_url,
        Fees(settings.max_fee_per_gas, settings.max_priority_fee_per_gas),
        heitje_abi(),
    )
    try:
        dev_chain = chain_.chain_id == DEV_CHAIN_ID and settings.is_dev
        deployment = do_deploy(chain_, load_signer(settings, "admin"), settings, dev_chain=dev_chain, force=force)
    except HeitjeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(deployment.to_json(), indent=2))


@app.command()
def migrate() -> None:
    """Bring the database (HEITJE_DATABASE_URL, default the embedded SQLite file) to the latest schema."""
    from heitje.db import migrate as do_migrate

    settings = get_settings()
    do_migrate(settings.effective_database_url)
    typer.echo("database is up to date")


def _register_optional_commands() -> None:
    """Subcommands contributed by the backend and indexer packages."""
    import importlib

    for module in ("backend.cli", "backend.admin_cli", "backend.audit_cli", "indexer.cli", "backend.bench"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue
            raise
        mod.register(app)


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="anvil port")] = 8545,
    block_time: Annotated[float, typer.Option(help="Seconds per block")] = 1.0,
) -> None:
    """Development stack: chain + deploy + migrate + seed + API + relayer + indexer, printing the URLs."""
    from heitje.devstack import run_dev

    sys.exit(run_dev(get_settings(), port=port, block_time=block_time))


_register_optional_commands()


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except Exception as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
