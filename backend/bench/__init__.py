# SPDX-License-Identifier: EUPL-1.2
"""`heitje bench`: what the system sustains and what each operation costs, every figure next to a baseline
measured in the same run (see docs/performance.md)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Everything written to fd 1 while measuring (children, libraries) goes to stderr: with --json,
    stdout carries exactly one JSON object."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Smaller run (about two minutes): a smoke test")] = False,
    postgres: Annotated[
        str | None, typer.Option("--postgres", help="Also index into a scratch database on this PostgreSQL server")
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the temp folder (chains, databases, child logs)")] = False,
) -> None:
    """Benchmark gas, relayer, indexer and API against baselines measured in the same run."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from backend.bench.report import render
    from backend.bench.run import run, save

    console = Console(stderr=True)
    with _stdout_to_stderr():
        with Progress(
            TextColumn("[bold]bench[/bold]"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), TextColumn("{task.description}"), console=console, transient=as_json,
        ) as progress:  # fmt: skip
            task = progress.add_task("starting", total=100)

            def step(description: str, fraction: float) -> None:
                progress.update(task, completed=fraction * 100, description=description)

            result = run(quick=quick, postgres=postgres, step=step, keep=keep)
        path = save(result)
        result["results_file"] = str(path)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    else:
        render(result, Console())
        typer.echo(f"results: {path}")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
