# SPDX-License-Identifier: EUPL-1.2
"""One typed settings object per process, read from HEITJE_* environment variables (and `.env`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from heitje.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Published by anvil for every developer machine: never a secret, refused outside development.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PLACEHOLDER = "dev-only-not-a-secret"
#: The textbook Dutch example IBAN: fine for development SEPA files, refused in production.
EXAMPLE_DEBTOR_IBAN = "NL91ABNA0417164300"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEITJE_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    data_dir: Path = Field(default=PROJECT_ROOT / ".data")
    database_url: str = ""
    rpc_url: str = "http://127.0.0.1:8545"
    chain_id: int | None = None
    deployments_dir: Path = Field(default=PROJECT_ROOT / "deployments")

    # Local chain (development)
    anvil_port: int = 8545
    block_time: float = 1.0

    # Fees: zero on a free-gas chain; caps otherwise (wei).
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0
    gas_limit_margin_pct: int = 25

    # Keys. Municipal keys come from a keystore (scrypt) unlocked with this password, or an external signer.
    keystore_dir: Path = Field(default=PROJECT_ROOT / ".data" / "keystore")
    keystore_password: SecretStr = SecretStr(DEV_PLACEHOLDER)
    master_key: SecretStr = SecretStr(DEV_PLACEHOLDER)

    # Production role holders (addresses); on a dev chain the dev keys hold every role.
    admin_address: str | None = None
    issuer_address: str | None = None
    registrar_address: str | None = None
    settler_address: str | None = None
    pauser_address: str | None = None
    recovery_address: str | None = None
    admin_delay_seconds: int = 0

    # Money side (issue 6): the municipality as SEPA debtor, four-eyes threshold, payment requests.
    public_base_url: str = "http://127.0.0.1:8000"
    debtor_name: str = "Gemeente Heerlen"
    debtor_iban: str = EXAMPLE_DEBTOR_IBAN
    debtor_bic: str = "ABNANL2A"
    four_eyes_threshold_cents: int = Field(default=100_000, ge=0)  # batches above this need a 2nd officer
    payment_request_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    stats_min_cell: int = Field(default=5, ge=2)

    # Login attempts per client address per minute (shared by every API worker through the database).
    login_attempts_per_minute: int = Field(default=30, ge=1)

    # Indexer
    confirmations: int = 0
    log_page_blocks: int = 5000

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env is Environment.production:
            for name in ("keystore_password", "master_key"):
                if getattr(self, name).get_secret_value() in ("", DEV_PLACEHOLDER):
                    raise ConfigurationError(f"HEITJE_{name.upper()} must be set in production")
            if not self.database_url:
                raise ConfigurationError("HEITJE_DATABASE_URL must be set in production")
            if self.debtor_iban == EXAMPLE_DEBTOR_IBAN:
                raise ConfigurationError("HEITJE_DEBTOR_IBAN must be the municipality's own account in production")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'heitje.sqlite3'}"

    @property
    def is_dev(self) -> bool:
        return self.env is not Environment.production


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
