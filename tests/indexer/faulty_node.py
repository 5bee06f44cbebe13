# SPDX-License-Identifier: EUPL-1.2
"""A fault-injecting JSON-RPC proxy on 127.0.0.1 in front of anvil: it refuses large eth_getLogs ranges,
answers some requests with HTTP 500 or garbage, and lets some hang past the client's timeout."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class FaultyNode:
    def __init__(
        self,
        upstream: str,
        max_range: int = 3,
        error_rate: float = 0.15,
        hang_rate: float = 0.05,
        hang_seconds: float = 1.0,
        seed: int = 5,
    ) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.error_rate = error_rate
        self.hang_rate = hang_rate
        self.hang_seconds = hang_seconds
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, payload = proxy.handle(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultyNode:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _roll(self) -> float:
        with self.lock:
            return self.rng.random()

    def handle(self, request: Any) -> tuple[int, bytes]:
        calls = request if isinstance(request, list) else [request]
        for call in calls:
            if call.get("method") == "eth_getLogs":
                q = call["params"][0]
                if int(q["toBlock"], 16) - int(q["fromBlock"], 16) + 1 > self.max_range:
                    self.faults["refused"] += 1
                    error = {"code": -32005, "message": f"query exceeds max block range {self.max_range}"}
                    return 200, json.dumps({"jsonrpc": "2.0", "id": call["id"], "error": error}).encode()
        roll = self._roll()
        if roll < self.hang_rate:
            self.faults["hung"] += 1
            time.sleep(self.hang_seconds)
        elif roll < self.hang_rate + self.error_rate / 2:
            self.faults["http500"] += 1
            return 500, b'{"error": "upstream overloaded"}'
        elif roll < self.hang_rate + self.error_rate:
            self.faults["garbage"] += 1
            return 200, b"<html>bad gateway</html>"
        response = httpx.post(self.upstream, json=request, timeout=30)
        return response.status_code, response.content
