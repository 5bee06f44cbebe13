# SPDX-License-Identifier: EUPL-1.2
"""The relayer against a real anvil with interval mining, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from eth_account import Account
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend import keystore
from backend.relayer import FAILED, MINED, enqueue, get_intent
from backend.relayer.authorizations import domain_separator, sign_redemption, sign_transfer
from backend.relayer.models import Transaction
from backend.relayer.worker import Relayer
from heitje.chain.anvil import Anvil
from heitje.db import unit_of_work
from tests.relayer.helpers import ABI, ChainEnv, make_env, next_task_ids, running, statuses, wait_final

DB = tuple[Engine, sessionmaker[Session]]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainEnv]:
    tmp = tmp_path_factory.mktemp("relayer-chain")
    with Anvil(block_time=0.2, log_path=tmp / "anvil.log") as node:
        yield make_env(node, tmp)


def _step_until(relayer: Relayer, done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Drive the relayer cycle by cycle (automine mines a moment after the send returns)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "relayer did not get there in time"
        relayer.step()
        time.sleep(0.05)


def _sender_nonces(sf: sessionmaker[Session], sender: str) -> list[int]:
    with sf() as s:
        return sorted(s.scalars(select(Transaction.nonce).where(Transaction.sender == sender)))


def test_1000_intents_from_threads_are_mined_exactly_once_without_nonce_gaps(env: ChainEnv, db: DB) -> None:
    _, sf = db
    block0 = env.chain.block_number()
    supply0 = env.total_supply()
    relayer = env.relayer(sf, batch_size=50)
    issuer, registrar = relayer.role_sender["issuer"], relayer.role_sender["registrar"]
    chain_nonce0 = {a: env.chain.nonce(a, "latest") for a in (issuer, registrar)}
    tasks = next_task_ids(800)
    amounts = {t: random.randint(1, 50) for t in tasks}
    newcomers = [str(Account.create().address) for _ in range(200)]
    work: list[tuple[str, str, dict[str, object]]] = [
        (f"task:{t}", "mintForTask", {"citizen": env.citizens[t % 20], "amount": amounts[t], "taskId": t})
        for t in tasks
    ] + [
        (f"enrol:{a}", "enrolCitizen", {"account": a, "citizenId": "0x" + (10_000 + i).to_bytes(32, "big").hex()})
        for i, a in enumerate(newcomers)
    ]
    random.shuffle(work)
    slices = [work[i::5] for i in range(5)]

    def producer(items: list[tuple[str, str, dict[str, object]]]) -> None:
        for i in range(0, len(items), 10):
            with unit_of_work(sf) as s:
                for key, action, args in items[i : i + 10]:
                    enqueue(s, business_key=key, action=action, args=args)

    standby = env.relayer(sf, batch_size=50)  # a second copy must wait, not send
    with running(relayer), running(standby):
        threads = [threading.Thread(target=producer, args=(sl,)) for sl in slices]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_final(sf, 1000, timeout=90)

    assert statuses(sf) == {MINED: 1000}
    # Whichever copy took the lock first did all the sending; the other only waited.
    assert sorted(r.counters.signed_txs > 0 for r in (relayer, standby)) == [False, True]
    rewarded = env.rewarded(block0)
    assert {t: rewarded[t] for t in tasks} == dict.fromkeys(tasks, 1)
    assert env.total_supply() - supply0 == sum(amounts.values())
    for address in newcomers:
        kind, _suspended, _cid = ABI.functions["accountOf"].decode_output(
            env.chain.call(env.contract, ABI.functions["accountOf"].encode(address))
        )
        assert kind == 1  # citizen
    # Nonces: one transaction per nonce, contiguous from the chain's nonce, nothing sent outside them.
    for sender in (issuer, registrar):
        nonces = _sender_nonces(sf, sender)
        assert nonces == list(range(chain_nonce0[sender], chain_nonce0[sender] + len(nonces)))
        assert env.chain.nonce(sender, "latest") == chain_nonce0[sender] + len(nonces)
    with sf() as s:
        assert set(s.scalars(select(Transaction.status))) == {MINED}
        # The 800 mints shared transactions (batching); the 200 enrolments each needed their own.
        assert s.scalar(select(func.count()).where(Transaction.sender == issuer)) < 100


def test_reverted_intents_fail_with_their_custom_error_and_are_not_retried(env: ChainEnv, db: DB) -> None:
    _, sf = db
    relayer = env.relayer(sf, batch_size=50)
    stranger = str(Account.create().address)
    good = next_task_ids(30)
    duplicate = good[0]
    with unit_of_work(sf) as s:
        for t in good:
            enqueue(
                s,
                business_key=f"task:{t}",
                action="mintForTask",
                args={"citizen": env.citizens[0], "amount": 1, "taskId": t},
            )
        # Same task id under another business key: the contract's replay guard is the last line.
        enqueue(
            s,
            business_key=f"task:{duplicate}:again",
            action="mintForTask",
            args={"citizen": env.citizens[1], "amount": 1, "taskId": duplicate},
        )
        # Not a citizen: this element makes its whole batch revert until it is isolated.
        enqueue(
            s,
            business_key="task:stranger",
            action="mintForTask",
            args={"citizen": stranger, "amount": 1, "taskId": next_task_ids(1)[0]},
        )
        enqueue(s, business_key="suspend:stranger", action="suspend", args={"account": stranger})
    with running(relayer):
        wait_final(sf, 33, timeout=60)
        time.sleep(1.0)  # a few more cycles: nothing may be retried
        registrar = relayer.role_sender["registrar"]
        registrar_chain_nonce = env.chain.nonce(registrar, "latest")
    registrar_nonces = _sender_nonces(sf, registrar)

    with sf() as s:
        suspend = get_intent(s, "suspend:stranger")
        assert suspend is not None
        assert suspend.status == FAILED
        assert suspend.error_name == "HeitjeNotEnrolled"
        assert suspend.error_args == [stranger]
        assert suspend.tx_hash is not None
        not_citizen = get_intent(s, "task:stranger")
        assert not_citizen is not None
        assert (not_citizen.status, not_citizen.error_name) == (FAILED, "HeitjeNotCitizen")
        first, again = get_intent(s, f"task:{duplicate}"), get_intent(s, f"task:{duplicate}:again")
        assert first is not None
        assert again is not None
        assert sorted([first.status, again.status]) == [FAILED, MINED]
        loser = first if first.status == FAILED else again
        assert loser.error_name == "HeitjeTaskAlreadyRewarded"
        assert loser.error_args == [duplicate]
        assert [get_intent(s, f"task:{t}").status for t in good[1:]] == [MINED] * 29  # type: ignore[union-attr]
        # The failed suspend was sent once and never again.
        assert s.scalar(select(func.count()).where(Transaction.action == "suspend")) == 1
        assert registrar_nonces == list(range(registrar_nonces[0], registrar_chain_nonce))
    assert env.balance(stranger) == 0


def test_custodial_payment_and_payout_request_through_the_relayer(env: ChainEnv, db: DB) -> None:
    _, sf = db
    relayer = env.relayer(sf)
    chain_id = env.chain.chain_id
    onchain = env.chain.call(env.contract, ABI.functions["DOMAIN_SEPARATOR"].encode())
    assert domain_separator(chain_id, env.contract) == onchain
    task = next_task_ids(1)[0]
    with unit_of_work(sf) as s:
        citizen = keystore.create_account(s, "citizen")
        merchant = keystore.create_account(s, "merchant")
        enqueue(s, business_key=f"enrol:{citizen}", action="enrolCitizen",
                args={"account": citizen, "citizenId": "0x" + "77" * 32})  # fmt: skip
        enqueue(s, business_key=f"enrol:{merchant}", action="enrolMerchant", args={"account": merchant})
        enqueue(s, business_key=f"task:{task}", action="mintForTask",
                args={"citizen": citizen, "amount": 1_000, "taskId": task})  # fmt: skip
    with running(relayer):
        wait_final(sf, 3)
        with unit_of_work(sf) as s:
            for i in range(3):
                args = sign_transfer(
                    s, chain_id, env.contract, from_=citizen, to=merchant, value=100, payment_ref=bytes([i + 1]) * 32
                )
                assert args["nonce"] == i
                enqueue(s, business_key=f"pay:{i}", action="transferWithAuthorization", args=args)
        wait_final(sf, 6)
        with unit_of_work(sf) as s:
            args = sign_redemption(s, chain_id, env.contract, merchant=merchant, value=250, payout_id=os.urandom(32))
            enqueue(s, business_key="payout:1", action="requestRedemptionWithAuthorization", args=args)
        wait_final(sf, 7)
    assert statuses(sf) == {MINED: 7}
    assert env.balance(citizen) == 700
    assert env.balance(merchant) == 50


def test_dropped_transaction_is_sent_again(
    chain: object, deployment: object, snapshot: None, db: DB, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On the session's automining anvil, with mining switched off so the drop happens before a block."""
    from heitje.chain.client import Chain
    from heitje.deploy import Deployment
    from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account

    assert isinstance(chain, Chain)
    assert isinstance(deployment, Deployment)
    _, sf = db
    from backend.relayer.worker import Relayer, RelayerConfig

    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    relayer = Relayer(sf, chain, deployment.address, signers, RelayerConfig(resend_after=0.3))
    merchant = str(Account.create().address)
    chain.rpc.call("evm_setAutomine", False)
    try:
        with unit_of_work(sf) as s:
            enqueue(s, business_key="enrol:m", action="enrolMerchant", args={"account": merchant})
        relayer.step()
        with sf() as s:
            intent = get_intent(s, "enrol:m")
            assert intent is not None
            assert intent.status == "sent"
            tx = s.get(Transaction, intent.tx_id)
            assert tx is not None
            tx_hash = tx.tx_hash
        assert chain.rpc.call("eth_getTransactionByHash", tx_hash) is not None
        chain.rpc.call("anvil_dropTransaction", tx_hash)
        assert chain.rpc.call("eth_getTransactionByHash", tx_hash) is None
        time.sleep(0.35)
        relayer.step()  # no receipt for too long: the same bytes go out again
        assert chain.rpc.call("eth_getTransactionByHash", tx_hash) is not None
        assert relayer.counters.resent == 1
        chain.rpc.call("evm_mine")
        relayer.step()
    finally:
        chain.rpc.call("evm_setAutomine", True)
    with sf() as s:
        intent = get_intent(s, "enrol:m")
        assert intent is not None
        assert (intent.status, intent.tx_hash) == (MINED, tx_hash)


def test_stuck_transaction_is_replaced_at_the_same_nonce_with_a_higher_fee(
    chain: object, deployment: object, snapshot: None, db: DB
) -> None:
    """On a fee chain a transaction that waits too long is re-signed at its nonce with a bumped fee; the
    replacement is the one mined and the intent records its hash."""
    from backend.relayer.worker import Relayer, RelayerConfig
    from heitje.chain.client import Chain, Fees
    from heitje.deploy import Deployment
    from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account

    assert isinstance(chain, Chain)
    assert isinstance(deployment, Deployment)
    _, sf = db
    fee_chain = Chain(chain.rpc.url, Fees(max_fee_per_gas=10**9, max_priority_fee_per_gas=10**8), ABI)
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    config = RelayerConfig(resend_after=0.1, replace_after=0.2)
    relayer = Relayer(sf, fee_chain, deployment.address, signers, config)
    merchant = str(Account.create().address)
    chain.rpc.call("evm_setAutomine", False)
    try:
        with unit_of_work(sf) as s:
            enqueue(s, business_key="enrol:fee", action="enrolMerchant", args={"account": merchant})
        relayer.step()
        with sf() as s:
            intent = get_intent(s, "enrol:fee")
            assert intent is not None
            original = s.get(Transaction, intent.tx_id)
            assert original is not None
            first_hash, nonce = original.tx_hash, original.nonce
        time.sleep(0.25)
        relayer.step()
        assert relayer.counters.replaced == 1
        chain.rpc.call("evm_mine")
        relayer.step()
    finally:
        chain.rpc.call("evm_setAutomine", True)
        fee_chain.close()
    with sf() as s:
        intent = get_intent(s, "enrol:fee")
        assert intent is not None
        tx = s.get(Transaction, intent.tx_id)
        assert tx is not None
        assert (tx.nonce, tx.replacements, tx.status) == (nonce, 1, MINED)
        assert tx.max_fee_per_gas > 10**9
        assert intent.status == MINED
        assert intent.tx_hash == tx.tx_hash != first_hash
    assert chain.rpc.call("eth_getTransactionReceipt", first_hash) is None


def test_on_start_a_nonce_gap_is_filled_and_a_chain_nonce_ahead_is_adopted(
    chain: object, deployment: object, snapshot: None, db: DB
) -> None:
    from backend.relayer.models import SenderNonce
    from backend.relayer.worker import Relayer
    from heitje.chain.client import Chain
    from heitje.deploy import Deployment
    from heitje.signing import ROLE_NAMES, LocalKeySigner, dev_account

    assert isinstance(chain, Chain)
    assert isinstance(deployment, Deployment)
    _, sf = db
    signers = {role: LocalKeySigner(dev_account(i)) for i, role in enumerate(ROLE_NAMES)}
    registrar, settler = signers["registrar"].address, signers["settler"].address
    with unit_of_work(sf) as s:
        # The database says two registrar nonces were handed out, but no transaction exists for them.
        s.add(SenderNonce(sender=registrar, chain_id=chain.chain_id, next_nonce=chain.nonce(registrar) + 2))
        s.add(SenderNonce(sender=settler, chain_id=chain.chain_id, next_nonce=chain.nonce(settler)))
    # The settler key is used outside the relayer once.
    chain.transact(signers["settler"], settler, b"", gas=21_000)
    registrar_before, settler_after_outside = chain.nonce(registrar), chain.nonce(settler)
    relayer = Relayer(sf, chain, deployment.address, signers)
    _step_until(relayer, lambda: chain.nonce(registrar) == registrar_before + 2 and relayer.counters.mined_txs == 2)
    assert relayer.counters.fillers == 2
    with sf() as s:
        assert s.get(SenderNonce, settler).next_nonce == settler_after_outside  # type: ignore[union-attr]
        fillers = s.scalars(select(Transaction).where(Transaction.sender == registrar)).all()
        assert [(t.nonce, t.status) for t in fillers] == [(registrar_before, MINED), (registrar_before + 1, MINED)]
    merchant = str(Account.create().address)
    with unit_of_work(sf) as s:
        enqueue(s, business_key="enrol:after-gap", action="enrolMerchant", args={"account": merchant})
    _step_until(relayer, lambda: relayer.counters.mined_txs == 3)
    with sf() as s:
        intent = get_intent(s, "enrol:after-gap")
        assert intent is not None
        assert intent.status == MINED
        tx = s.get(Transaction, intent.tx_id)
        assert tx is not None
        assert tx.nonce == registrar_before + 2
