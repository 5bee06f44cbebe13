# SPDX-License-Identifier: EUPL-1.2
from __future__ import annotations

from pathlib import Path

import pytest

from backend.relayer.bootstrap import role_signers
from heitje.errors import ConfigurationError
from heitje.settings import Settings
from heitje.signing import dev_account, keystore_path, write_keystore


def production(tmp_path: Path, password: str = "a-real-keystore-password") -> Settings:  # noqa: S107
    return Settings(
        env="production",
        database_url="postgresql://heitje@db.internal/heitje",
        keystore_dir=tmp_path / "keys",
        keystore_password=password,
        master_key="base64:" + "A" * 43 + "=",
        debtor_iban="NL20INGB0001234567",
    )  # type: ignore[arg-type]


def test_production_relayer_holds_only_the_role_keys_it_has(tmp_path: Path) -> None:
    settings = production(tmp_path)
    write_keystore(keystore_path(settings, "issuer"), dev_account(1), "a-real-keystore-password", scrypt_n=2)
    write_keystore(keystore_path(settings, "settler"), dev_account(3), "a-real-keystore-password", scrypt_n=2)
    signers = role_signers(settings)
    assert set(signers) == {"issuer", "settler"}
    assert signers["issuer"].address == dev_account(1).address


def test_a_keystore_that_cannot_be_unlocked_stops_the_start(tmp_path: Path) -> None:
    settings = production(tmp_path, password="another-password-entirely")
    write_keystore(keystore_path(settings, "issuer"), dev_account(1), "a-real-keystore-password", scrypt_n=2)
    with pytest.raises(ConfigurationError, match="cannot unlock"):
        role_signers(settings)


def test_no_keystore_at_all_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no role keystores"):
        role_signers(production(tmp_path))
