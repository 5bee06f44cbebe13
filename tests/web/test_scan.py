# SPDX-License-Identifier: EUPL-1.2
"""Paying by camera: Chromium's fake camera plays a video of the shop's QR code (made from the same URL
the merchant page encodes); the citizen app's scanner (jsQR, loaded on demand) reads it and opens the
payment. Needs three extra Chromium flags for the fake camera, on top of the usual ones."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from PIL import Image
from playwright.sync_api import Browser, Playwright, expect

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, Stack, World, log_in, new_context

pytestmark = pytest.mark.browser

W, H = 640, 480


def qr_video(url: str, path: Path, frames: int = 10) -> Path:
    """A short Y4M video (what Chromium's fake camera plays) showing the QR code of `url`."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    frame = Image.new("L", (W, H), 255)
    frame.paste(qr, ((W - qr.width) // 2, (H - qr.height) // 2))
    y = frame.tobytes()
    uv = bytes([128]) * (W // 2 * H // 2)
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + y + uv + uv)
    return path


@pytest.fixture
def camera_browser(playwright: Playwright, world: World, stack: Stack, tmp_path: Path) -> Iterator[Browser]:
    video = qr_video(f"{stack.base_url}/pay/{world.open_request}", tmp_path / "qr.y4m")
    fake_camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-video-capture={video}"]  # fmt: skip
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake_camera)
    yield b
    b.close()


def test_the_citizen_pays_by_scanning_the_shops_qr_code(camera_browser: Browser, stack: Stack, world: World) -> None:
    ctx = new_context(camera_browser, stack, lang="nl", width=360, permissions=["camera"])
    try:
        page = ctx.new_page()
        log_in(page, world.citizen, "/citizen/pay")
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.reload()
        has_detector = page.evaluate("() => 'BarcodeDetector' in window")
        assert not [u for u in fetched if "/vendor/jsqr/" in u]  # not part of the page weight
        page.click("#scan-start")
        page.wait_for_url(f"**/citizen/pay/{world.open_request}", timeout=20_000)
        expect(page.locator("#pay-amount")).to_contain_text("2,75")
        assert has_detector or [u for u in fetched if "/vendor/jsqr/" in u]  # jsQR came when the camera opened
    finally:
        ctx.close()
