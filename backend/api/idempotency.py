# SPDX-License-Identifier: EUPL-1.2
"""`Idempotency-Key` for POSTs: same key + same request → the first response, replayed; same key + another
request → 409. Concurrent repeats wait for the first to finish instead of running twice.

Records are scoped to the caller (the user behind the token, or the client address when anonymous) and kept
in the database, so every API worker sees them. A record left pending by a crashed worker expires after
`PENDING_TTL` seconds; the business operations themselves are keyed (outbox business keys), so a re-run
after that cannot double an effect.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.problems import MEDIA_TYPE
from backend.models.accounts import ApiToken
from backend.models.idempotency import IdempotencyRecord
from backend.security import token_hash

log = logging.getLogger(__name__)

PENDING_TTL = 60.0
WAIT_TIMEOUT = 30.0
MAX_KEY_LENGTH = 255


def _problem(status: int, code: str, title: str, detail: str) -> bytes:
    import json

    return json.dumps({"type": f"https://heitje.example/problems/{code}", "title": title, "status": status,
                       "detail": detail}).encode()  # fmt: skip


def _canonical(content_type: str, body: bytes) -> tuple[str, bytes]:
    """A multipart body with its random boundary taken out, so that a client that rebuilds the same upload
    for a retry (new boundary, same parts) is recognised as sending the same request."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        return content_type, body
    boundary = ""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return content_type, body
    return "multipart/form-data", body.replace(boundary.encode(), b"<boundary>")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, session_factory: sessionmaker[Session]) -> None:
        self.app = app
        self.factory = session_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH:
            await self._send(send, 422, _problem(422, "validation-failed", "Idempotency-Key too long",
                                                 f"at most {MAX_KEY_LENGTH} characters"))  # fmt: skip
            return

        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        ctype, canonical_body = _canonical(headers.get("content-type", ""), body)
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"?" + scope.get("query_string", b"")
            + b"\n" + ctype.encode() + b"\n" + canonical_body
        ).hexdigest()  # fmt: skip
        principal = await asyncio.to_thread(self._principal, headers, scope)

        record_id, replay = await self._claim(principal, key, digest)
        if replay is not None:
            status, ctype, payload = replay
            await self._send(send, status, payload, ctype, replayed=True)
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict[str, object] = {"status": 500, "ctype": "application/json", "chunks": []}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.decode().lower() == "content-type":
                        captured["ctype"] = v.decode()
            elif message["type"] == "http.response.body":
                chunks = captured["chunks"]
                assert isinstance(chunks, list)
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await asyncio.to_thread(self._release, record_id)
            raise
        status = int(captured["status"])  # type: ignore[call-overload]
        chunks = captured["chunks"]
        assert isinstance(chunks, list)
        if status >= 500 or status in (401, 423, 429):
            # Not a result of the request itself: let the client retry with the same key.
            await asyncio.to_thread(self._release, record_id)
        else:
            await asyncio.to_thread(self._complete, record_id, status, str(captured["ctype"]), b"".join(chunks))

    # ── database work (threads) ──

    def _principal(self, headers: dict[str, str], scope: Scope) -> str:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if token is None:
            for part in headers.get("cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "heitje_session":
                    token = value
        if token:
            with self.factory() as session:
                user_id = session.scalar(select(ApiToken.user_id).where(ApiToken.token_hash == token_hash(token)))
            if user_id is not None:
                return f"user:{user_id}"
        client = scope.get("client") or ("anonymous", 0)
        return f"client:{client[0]}"

    async def _claim(self, principal: str, key: str, digest: str) -> tuple[int, tuple[int, str, bytes] | None]:
        # Waiting happens on the event loop, not in a worker thread: concurrent repeats parked in threads
        # would starve the thread pool that the first request needs to finish (and then all time out).
        deadline = time.monotonic() + WAIT_TIMEOUT
        while True:
            outcome = await asyncio.to_thread(self._try_claim, principal, key, digest)
            if outcome is not None:
                return outcome
            if time.monotonic() > deadline:
                return 0, (409, MEDIA_TYPE, _problem(409, "request-in-progress", "The same request is still running",
                                                     "retry in a moment"))  # fmt: skip
            await asyncio.sleep(0.05)

    def _try_claim(self, principal: str, key: str, digest: str) -> tuple[int, tuple[int, str, bytes] | None] | None:
        """Insert the pending record, or return the stored outcome; None while the first run is pending."""
        while True:
            with self.factory() as session:
                try:
                    with session.begin():
                        rec = IdempotencyRecord(principal=principal, key=key, request_hash=digest, state="pending")
                        session.add(rec)
                    return rec.id, None
                except IntegrityError:
                    pass
                with session.begin():
                    existing = session.scalar(
                        select(IdempotencyRecord).where(
                            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                        )
                    )
                    if existing is None:
                        continue
                    if existing.request_hash != digest:
                        return existing.id, (
                            409,
                            MEDIA_TYPE,
                            _problem(409, "idempotency-key-reused", "Idempotency-Key was used with a different request",
                                     "use a new Idempotency-Key for a different request"),
                        )  # fmt: skip
                    if existing.state == "done":
                        return existing.id, (
                            existing.status_code or 200,
                            existing.content_type or "",
                            existing.body or b"",
                        )
                    created = (
                        existing.created_at if existing.created_at.tzinfo else existing.created_at.replace(tzinfo=UTC)
                    )
                    if datetime.now(UTC) - created > timedelta(seconds=PENDING_TTL):
                        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
                        continue
            return None

    def _complete(self, record_id: int, status: int, ctype: str, body: bytes) -> None:
        with self.factory() as session, session.begin():
            rec = session.get(IdempotencyRecord, record_id)
            if rec is not None:
                rec.state, rec.status_code, rec.content_type, rec.body = "done", status, ctype, body

    def _release(self, record_id: int) -> None:
        with self.factory() as session, session.begin():
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, ctype: str = MEDIA_TYPE, replayed: bool = False) -> None:
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        if replayed:
            headers.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
