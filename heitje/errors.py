# SPDX-License-Identifier: EUPL-1.2
"""Root exception of the shared core."""


class HeitjeError(Exception):
    """Base of every error raised by the shared core."""


class ConfigurationError(HeitjeError):
    """Settings are missing or unsafe for the environment."""


class CompilationError(HeitjeError):
    """The Solidity sources did not compile."""


class DeploymentError(HeitjeError):
    """A deployment was refused or failed."""


class ChainError(HeitjeError):
    """The JSON-RPC node misbehaved or a transaction failed."""


class ContractRevert(ChainError):
    """A call or transaction reverted; `name` is the decoded custom error, `args` its arguments."""

    def __init__(self, name: str, args: tuple[object, ...] = (), data: str = "") -> None:
        self.name = name
        self.error_args = args
        self.data = data
        super().__init__(f"{name}{args!r}" if args else name)
