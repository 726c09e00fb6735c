"""A prompt's content blocks → Azure's message parts, and back into history blocks.

The prompt side speaks the Claude Agent SDK's shape (``{"type": "text", ...}`` and
``{"type": "image", "source": {"type": "base64", ...}}``, plus ``detail``); OpenAI's own
``image_url`` parts are accepted as they are. Azure gets ``text`` and ``image_url``
parts with a data URL (azure-wire-2.md §5). A prompt without images stays a plain string,
so text-only requests are exactly what they were.

Everything is checked here, before a request exists: a bad image is one
``ConfigurationError`` line and nothing is sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigurationError
from ..images import DETAILS, MAX_IMAGE_BYTES, MAX_IMAGES, MEDIA_TYPES
from ..types import ContentBlock, ImageBlock, TextBlock

Part = dict[str, Any]


def _detail(value: Any) -> str:
    detail = "auto" if value is None else str(value)
    if detail not in DETAILS:
        raise ConfigurationError(f"image detail must be one of auto, low, high; got {detail!r}")
    return detail


def _data_url(media_type: Any, data: Any) -> str:
    if media_type not in MEDIA_TYPES:
        raise ConfigurationError(
            f"image media_type {media_type!r} is not one Azure takes (png, jpeg, gif, webp)"
        )
    if not isinstance(data, str) or not data:
        raise ConfigurationError("an image block's source.data must be a base64 str")
    if len(data) * 3 // 4 > MAX_IMAGE_BYTES:
        raise ConfigurationError("an image is larger than 20 MB, Azure's image limit")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError("an image block's source.data is not valid base64") from None
    return f"data:{media_type};base64,{data}"


def _checked_url(url: Any) -> str:
    if not isinstance(url, str):
        raise ConfigurationError("an image URL must be a str")
    if url.startswith("data:"):
        head, sep, data = url.partition(",")
        if not sep or not head.endswith(";base64"):
            raise ConfigurationError("an image data URL must be data:<type>;base64,<data>")
        return _data_url(head[5:].removesuffix(";base64"), data)
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError("an image URL must be https://, http:// or a base64 data URL")
    return url


def _image_part(block: dict[str, Any]) -> Part:
    if block.get("type") == "image_url":  # OpenAI's shape, as it is
        inner = block.get("image_url")
        inner = inner if isinstance(inner, dict) else {"url": inner}
        url, detail = _checked_url(inner.get("url")), _detail(inner.get("detail"))
    else:
        source = block.get("source")
        if not isinstance(source, dict):
            raise ConfigurationError("an image block needs a source: {'type': 'base64', ...}")
        if source.get("type") == "url":
            url = _checked_url(source.get("url"))
        elif source.get("type") == "base64":
            url = _data_url(source.get("media_type"), source.get("data"))
        else:
            raise ConfigurationError(
                f"image source type {source.get('type')!r}: use 'base64' (or 'url')"
            )
        detail = _detail(block.get("detail"))
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


def to_openai(content: Any) -> str | list[Part]:
    """A prompt's content (a str, or a list of blocks) as an Azure message's content."""
    if not isinstance(content, list):
        return "" if content is None else str(content)
    parts: list[Part] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            parts.append(_image_part(block))
        elif isinstance(block, dict):  # text blocks; other kinds carry no prompt text
            text = block.get("text")
            if isinstance(text, str):
                parts.append({"type": "text", "text": text})
    images = sum(1 for p in parts if p["type"] == "image_url")
    if images > MAX_IMAGES:
        raise ConfigurationError(
            f"{images} images in one prompt; Azure takes at most {MAX_IMAGES} per request"
        )
    if not images:
        return "".join(p["text"] for p in parts)
    return parts


def to_blocks(content: str | Iterable[Part]) -> str | list[ContentBlock]:
    """An Azure message's content as the history's ``UserMessage`` content."""
    if isinstance(content, str):
        return content
    blocks: list[ContentBlock] = []
    for part in content:
        if part.get("type") == "image_url":
            url, detail = part["image_url"]["url"], part["image_url"].get("detail", "auto")
            if url.startswith("data:"):
                head, _, data = url.partition(",")
                media_type = head[5:].removesuffix(";base64")
                blocks.append(ImageBlock(media_type=media_type, data=data, detail=detail))
            else:
                blocks.append(ImageBlock(url=url, detail=detail))
        else:
            blocks.append(TextBlock(str(part.get("text", ""))))
    return blocks


__all__ = ["to_blocks", "to_openai"]
