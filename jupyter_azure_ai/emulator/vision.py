"""Image input, as a vision deployment takes it (azure-wire-2.md §5).

A user message's ``image_url`` parts are checked as Azure checks them: the deployment must
see images (``gpt-35-turbo`` and ``o3-mini`` do not, as the real models: Azure's 400
"Invalid content type. image_url is only supported by certain models."), a data URL must
be base64 of a PNG, JPEG, GIF or WEBP picture that decodes, ``detail`` is ``auto``,
``low`` or ``high``. The answer is derived from the pictures: their size, format and
colours (the most frequent, and the most frequent clearly different one), so a test can
tell that the image itself arrived. Images cost tokens as Azure counts them: 85 for
``low``, else 85 + 170 per 512-pixel tile after fitting 2048x2048 and a 768 short side.

Pillow is imported only when a request carries an image.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

NON_VISION = frozenset({"gpt-35-turbo", "o3-mini"})
"""Deployments without image input."""
URL_IMAGE_TOKENS = 765
"""An image given by URL (the emulator does not fetch it)."""
MAX_BYTES = 20 * 1024 * 1024
FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}
COLOURS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "grey": (128, 128, 128),
    "red": (220, 30, 30),
    "green": (40, 160, 60),
    "blue": (30, 90, 200),
    "yellow": (240, 220, 40),
    "orange": (255, 140, 20),
    "purple": (130, 60, 170),
    "pink": (240, 130, 180),
    "brown": (140, 85, 40),
    "cyan": (40, 200, 220),
}


@dataclass(frozen=True)
class Seen:
    """One decoded image: its format, size, detail and colours."""

    fmt: str
    width: int
    height: int
    detail: str
    dominant: tuple[int, int, int]
    other: tuple[int, int, int] | None

    @property
    def tokens(self) -> int:
        if self.detail == "low":
            return 85
        scale = min(1.0, 2048 / max(self.width, self.height))
        scale = min(scale, 768 / max(1.0, min(self.width, self.height) * scale) * scale)
        tiles = math.ceil(self.width * scale / 512) * math.ceil(self.height * scale / 512)
        return 85 + 170 * tiles


class ImageRejected(Exception):
    """A request's image that Azure would refuse: ``body`` is its 400."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.body = body


def _error(message: str, param: str, code: str | None = None) -> ImageRejected:
    return ImageRejected(
        {"error": {"message": message, "type": "invalid_request_error", "param": param,
                   "code": code}}
    )  # fmt: skip


def image_parts(messages: list[Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """(message index, part index, part) of every ``image_url`` part."""
    found = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "image_url":
                    found.append((i, j, part))
    return found


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The nearest of ``COLOURS``."""
    return min(
        COLOURS, key=lambda n: sum((a - b) ** 2 for a, b in zip(COLOURS[n], rgb, strict=True))
    )


def _colours(image: Any) -> tuple[tuple[int, int, int], tuple[int, int, int] | None]:
    """The most frequent colour, and the most frequent one far from it (or None)."""
    from PIL import Image

    small = image.convert("RGB").resize((64, 64), Image.Resampling.NEAREST)
    raw = small.tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    buckets: Counter[tuple[int, int, int]] = Counter((r // 32, g // 32, b // 32)
                                                     for r, g, b in pixels)  # fmt: skip
    exact: Counter[tuple[int, int, int]] = Counter(pixels)

    def representative(bucket: tuple[int, int, int]) -> tuple[int, int, int]:
        inside = [
            (n, p) for p, n in exact.items() if (p[0] // 32, p[1] // 32, p[2] // 32) == bucket
        ]
        return max(inside)[1]

    ranked = [representative(b) for b, _ in buckets.most_common()]
    dominant = ranked[0]
    for rgb in ranked[1:]:
        if sum((a - b) ** 2 for a, b in zip(rgb, dominant, strict=True)) > 80**2:
            return dominant, rgb
    return dominant, None


def decode(part: dict[str, Any], param: str) -> Seen | None:
    """Check one ``image_url`` part; None for an http(s) URL (not fetched)."""
    from PIL import Image

    inner = part.get("image_url")
    if not isinstance(inner, dict) or not isinstance(inner.get("url"), str):
        raise _error("Missing required parameter: 'image_url.url'.", f"{param}.image_url.url")
    detail = inner.get("detail", "auto")
    if detail not in ("auto", "low", "high"):
        raise _error(
            f"Invalid value: '{detail}'. Supported values are: 'auto', 'low', and 'high'.",
            f"{param}.image_url.detail",
            "invalid_value",
        )
    url = inner["url"]
    if url.startswith(("https://", "http://")):
        return None
    head, sep, data = url.partition(",")
    if not url.startswith("data:image/") or not sep or not head.endswith(";base64"):
        raise _error(
            "Invalid image URL: expected an https URL or a base64 data URL.",
            f"{param}.image_url.url",
            "invalid_image_url",
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _error(
            "Invalid image data: the provided image data is not correctly formatted in base64.",
            f"{param}.image_url.url",
            "invalid_image_format",
        ) from None
    unsupported = _error(
        "You uploaded an unsupported image. Ensure the image is below 20 MB and in one of"
        " these formats: png, jpeg, gif, webp.",
        f"{param}.image_url.url",
        "invalid_image_format",
    )
    if not raw or len(raw) > MAX_BYTES:
        raise unsupported
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise unsupported from None
    if image.format not in FORMATS:
        raise unsupported
    dominant, other = _colours(image)
    return Seen(FORMATS[image.format], image.width, image.height, detail, dominant, other)


def check(messages: list[Any], deployment: str) -> list[Seen | None]:
    """Every image of the request, checked (``ImageRejected`` with Azure's 400 if not)."""
    seen = []
    for i, j, part in image_parts(messages):
        param = f"messages.[{i}].content.[{j}]"
        if deployment in NON_VISION:
            raise _error(
                "Invalid content type. image_url is only supported by certain models.",
                f"{param}.type",
            )
        seen.append(decode(part, param))
    return seen


def tokens(part: dict[str, Any]) -> int:
    """What one ``image_url`` part counts in ``usage.prompt_tokens``."""
    try:
        seen = decode(part, "")
    except ImageRejected:
        return URL_IMAGE_TOKENS
    return URL_IMAGE_TOKENS if seen is None else seen.tokens


def describe(message: dict[str, Any], prompt: str) -> str | None:
    """The answer to a user message with images (None when it has none)."""
    parts = image_parts([message])
    if not parts:
        return None
    lines = [f"I see {len(parts)} image{'s' if len(parts) != 1 else ''}."]
    for n, (_, _, part) in enumerate(parts, 1):
        try:
            seen = decode(part, "")
        except ImageRejected:
            seen = None
        if seen is None:
            lines.append(f"- Image {n}: an image at a URL, not fetched by the emulator.")
            continue
        text = (
            f"- Image {n}: {seen.width}x{seen.height} {seen.fmt.upper()} (detail {seen.detail}),"
            f" mostly **{colour_name(seen.dominant)}** ({_hex(seen.dominant)})"
        )
        if seen.other is not None:
            text += f"; the main other colour is **{colour_name(seen.other)}** ({_hex(seen.other)})"
        lines.append(text + ".")
    quoted = " ".join(prompt.split())
    if quoted:
        lines.append(f"\nYou asked: *{quoted[:199] + '…' if len(quoted) > 200 else quoted}*")
    return "\n".join(lines)


__all__ = ["NON_VISION", "ImageRejected", "check", "colour_name", "describe", "tokens"]
