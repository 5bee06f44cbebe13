# SPDX-License-Identifier: EUPL-1.2
"""Offline Solidity compilation through py-solc-x.

py-solc-x drives either a native `solc` of the pinned version (when one is on PATH or named by
HEITJE_SOLC) or `scripts/solc-standard-json.js`, a thin wrapper that makes npm's solc-js behave like
`solc --standard-json`. The same Standard JSON input — pinned version, EVM version, optimizer, remappings —
builds every artifact; `brownie-config.yaml` carries the same settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from heitje.errors import CompilationError
from heitje.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

SOLC_VERSION = "0.8.30"
EVM_VERSION = "prague"
OPTIMIZER_RUNS = 10_000
REMAPPINGS = ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"]

CONTRACTS_DIR = PROJECT_ROOT / "contracts"
BUILD_DIR = PROJECT_ROOT / "build" / "contracts"
WRAPPER = PROJECT_ROOT / "scripts" / "solc-standard-json.js"

#: Contracts compiled into artifacts: source path (relative to the project root) → contract names.
SOURCES: dict[str, list[str]] = {
    "contracts/HeitjeToken.sol": ["HeitjeToken"],
    "contracts/bench/BaselineToken.sol": ["BaselineToken"],
}


def compiler_settings() -> dict[str, Any]:
    return {
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "evmVersion": EVM_VERSION,
        "viaIR": True,
        "remappings": REMAPPINGS,
        "metadata": {"bytecodeHash": "ipfs"},
        "outputSelection": {
            "*": {
                "*": [
                    "abi",
                    "evm.bytecode.object",
                    "evm.deployedBytecode.object",
                    "metadata",
                    "devdoc",
                    "userdoc",
                ]
            }
        },
    }


def _source_inputs() -> dict[str, dict[str, str]]:
    return {rel: {"content": (PROJECT_ROOT / rel).read_text()} for rel in SOURCES}


def _solc_binary() -> Path:
    """A native solc of the pinned version if present, else the solc-js wrapper."""
    candidates = [os.environ.get("HEITJE_SOLC"), shutil.which("solc")]
    for candidate in filter(None, candidates):
        try:
            if str(solcx.wrapper.get_solc_version(candidate)) == SOLC_VERSION:
                return Path(candidate)
        except (OSError, SolcError, subprocess.CalledProcessError):
            continue
    if not (PROJECT_ROOT / "node_modules" / "solc").exists():
        raise CompilationError("solc-js is not installed: run `npm ci` (make does this)")
    return WRAPPER


def _input_fingerprint(standard_input: dict[str, Any]) -> str:
    blob = json.dumps({"version": SOLC_VERSION, "input": standard_input}, sort_keys=True).encode()
    # Imported OpenZeppelin sources count too: hash the installed package version.
    oz = PROJECT_ROOT / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
    if oz.exists():
        blob += oz.read_bytes()
    return hashlib.sha256(blob).hexdigest()


def artifact_path(name: str) -> Path:
    return BUILD_DIR / f"{name}.json"


def artifact_hash(name: str) -> str:
    """sha256 of the artifact file: recorded in deployment manifests."""
    return "sha256:" + hashlib.sha256(artifact_path(name).read_bytes()).hexdigest()


def compile_contracts(force: bool = False) -> dict[str, Path]:
    """Compile when a source or a setting changed; return the artifact paths by contract name."""
    standard_input = {"language": "Solidity", "sources": _source_inputs(), "settings": compiler_settings()}
    fingerprint = _input_fingerprint(standard_input)
    names = [n for names in SOURCES.values() for n in names]
    stamp = BUILD_DIR / ".fingerprint"
    fresh = not force and stamp.exists() and stamp.read_text() == fingerprint
    if fresh and all(artifact_path(n).exists() for n in names):
        return {n: artifact_path(n) for n in names}

    binary = _solc_binary()
    log.info("compiling %d sources with %s", len(SOURCES), binary.name)
    try:
        output = solcx.compile_standard(
            standard_input, base_path=str(PROJECT_ROOT), allow_paths=[str(PROJECT_ROOT)], solc_binary=binary
        )
    except SolcError as exc:
        raise CompilationError(str(exc)) from exc

    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    paths = {}
    for source, contract_names in SOURCES.items():
        for name in contract_names:
            out = output["contracts"][source][name]
            artifact = {
                "contractName": name,
                "sourceName": source,
                "abi": out["abi"],
                "bytecode": "0x" + out["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
                "metadata": out["metadata"],
                "devdoc": out.get("devdoc", {}),
                "userdoc": out.get("userdoc", {}),
                "compiler": {"version": SOLC_VERSION, "settings": compiler_settings()},
            }
            path = artifact_path(name)
            path.write_text(json.dumps(artifact, indent=1, sort_keys=True))
            paths[name] = path
    stamp.write_text(fingerprint)
    return paths


def load_artifact(name: str) -> dict[str, Any]:
    compile_contracts()
    data: dict[str, Any] = json.loads(artifact_path(name).read_text())
    return data
