# SPDX-License-Identifier: EUPL-1.2
import json

import pytest

from heitje.chain.abi import heitje_abi
from heitje.chain.client import Chain
from heitje.compiler import EVM_VERSION, SOLC_VERSION, artifact_hash, artifact_path, compile_contracts
from heitje.deploy import Deployment, deploy, load_deployment, role_id
from heitje.errors import DeploymentError
from heitje.signing import LocalKeySigner, dev_account
from tests.conftest import make_settings


def test_artifacts_record_pinned_compiler_settings() -> None:
    compile_contracts()
    artifact = json.loads(artifact_path("HeitjeToken").read_text())
    assert artifact["compiler"]["version"] == SOLC_VERSION
    assert artifact["compiler"]["settings"]["evmVersion"] == EVM_VERSION
    metadata = json.loads(artifact["metadata"])
    assert metadata["compiler"]["version"].startswith(SOLC_VERSION)
    assert metadata["settings"]["evmVersion"] == EVM_VERSION
    assert artifact["bytecode"].startswith("0x6")
    assert len(artifact["abi"]) > 50


def test_compile_is_skipped_when_nothing_changed() -> None:
    compile_contracts()
    before = artifact_path("HeitjeToken").stat().st_mtime_ns
    compile_contracts()
    assert artifact_path("HeitjeToken").stat().st_mtime_ns == before


def test_manifest_records_deployment(chain: Chain, deployment: Deployment) -> None:
    assert deployment.artifact_hash == artifact_hash("HeitjeToken")
    code = chain.rpc.call("eth_getCode", deployment.address, "latest")
    assert len(code) > 1000
    has_role = heitje_abi().functions["hasRole"]
    for role, holders in deployment.roles.items():
        (ok,) = has_role.decode_output(chain.call(deployment.address, has_role.encode(role_id(role), holders[0])))
        assert ok, role


def test_second_deploy_is_refused_unless_forced(chain: Chain, tmp_path, snapshot) -> None:
    settings = make_settings(tmp_path)
    signer = LocalKeySigner(dev_account(0))
    first = deploy(chain, signer, settings, dev_chain=True)
    with pytest.raises(DeploymentError, match="already deployed"):
        deploy(chain, signer, settings, dev_chain=True)
    second = deploy(chain, signer, settings, dev_chain=True, force=True)
    assert second.address != first.address
    assert load_deployment(settings.deployments_dir, chain.chain_id).address == second.address
