"""Images in a prompt: a Figure, Axes, PIL image, PNG/JPEG bytes or file, made small.

A prompt with images is a user message whose content holds blocks, in the Claude Agent
SDK's shape (the streaming-input form of ``azure_query`` / ``AzureAgentClient.query``)::

    from jupyter_azure_ai.images import image_block, image_prompt

    async for message in azure_query(image_prompt("What does this plot show?", fig)):
        ...

    # the same by hand: one message dict in an async iterable
    block = image_block(fig, detail="low")
    # {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ...},
    #  "detail": "low"}

The SDK sends each block as an Azure ``image_url`` part with a base64 data URL and
``detail`` (azure-wire-2.md §5). Why images are re-encoded here and not sent as they are:
Azure scales every image to fit 2048x2048 and then its short side to 768 pixels (``high``;
``low`` is one 512x512 picture), so pixels beyond that only cost bytes; and a request is
limited in size (1,048,576 characters per message, where data URLs may count), so each
image is fitted to that box and re-encoded (PNG for plots, JPEG for photos or when a PNG
is larger than ``MAX_ENCODED_BYTES``). Metadata (EXIF, text chunks) is not carried over.

Pillow and matplotlib are imported only when an image is encoded.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigurationError

Detail = Literal["auto", "low", "high"]
DETAILS: tuple[str, ...] = ("auto", "low", "high")
MAX_IMAGES = 10
"""Images per prompt: the lower of Azure's documented limits (10 per request; 50 on
some models)."""
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Azure's limit for one image (20 MB); larger input is refused before anything is sent."""
MAX_ENCODED_BYTES = 400_000
"""What one image may take once re-encoded (about 530,000 base64 characters)."""
HIGH_LONG, HIGH_SHORT = 2048, 768
"""``high``/``auto``: the box Azure scales to (long side, then short side)."""
LOW_SIDE = 512
"""``low``: Azure looks at one 512x512 version."""
THUMBNAIL_SIDE = 160
MAX_THUMBNAIL_CHARS = 24_000
"""The longest thumbnail data URL kept in a notebook or widget state."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff(data: bytes) -> str | None:
    """The media type the first bytes of ``data`` say (PNG, JPEG, GIF, WEBP), or None."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class EncodedImage:
    """One image as it is sent: ``data`` (PNG or JPEG bytes) and its pixel size."""

    media_type: str
    data: bytes
    width: int
    height: int
    original: tuple[int, int]
    """The size before fitting (equal to ``(width, height)`` when it already fitted)."""

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64}"

    def block(self, detail: str = "auto") -> dict[str, Any]:
        """The Claude-shaped content block (plus ``detail``, which Azure understands)."""
        source = {"type": "base64", "media_type": self.media_type, "data": self.base64}
        return {"type": "image", "source": source, "detail": check_detail(detail)}

    def describe(self) -> str:
        """``"640x480 PNG, 21 KB"`` (what a footer says was sent)."""
        kind = self.media_type.removeprefix("image/").upper()
        return f"{self.width}x{self.height} {kind}, {max(1, round(len(self.data) / 1000))} KB"


def check_detail(detail: str) -> str:
    if detail not in DETAILS:
        raise ConfigurationError(f"image detail must be one of auto, low, high; got {detail!r}")
    return detail


def _is_path(value: Any) -> bool:
    if isinstance(value, Path):
        return True
    return isinstance(value, str) and Path(value).suffix.lower() in IMAGE_SUFFIXES


def is_image_source(value: Any) -> bool:
    """Whether ``value`` is something :func:`encode_image` takes: a matplotlib Figure or
    Axes, a PIL image, PNG/JPEG/GIF/WEBP bytes, or the path of an existing image file
    (a ``Path``, or a str ending in .png/.jpg/.jpeg/.gif/.webp)."""
    module = type(value).__module__.split(".")[0]
    if module == "matplotlib":
        return hasattr(value, "savefig") or hasattr(value, "get_tightbbox")
    if module == "PIL":
        return hasattr(value, "save") and hasattr(value, "size")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return sniff(bytes(value[:12])) is not None
    if _is_path(value):
        path = Path(value)
        return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    return False


def _box(detail: str) -> tuple[int, int]:
    """(long side, short side) an image is fitted into for ``detail``."""
    return (LOW_SIDE, LOW_SIDE) if detail == "low" else (HIGH_LONG, HIGH_SHORT)


def _figure_png(value: Any, detail: str) -> bytes:
    """A matplotlib Figure (or just one Axes of it, with its labels) as PNG bytes, drawn at
    a resolution no larger than the box it will be fitted into."""
    axes = None if hasattr(value, "savefig") else value
    figure = value if axes is None else axes.get_figure()
    if figure is None:
        raise ConfigurationError("this Axes belongs to no Figure: nothing to draw")
    long_side, short_side = _box(detail)
    width, height = figure.get_size_inches()
    dpi = min(
        float(figure.dpi),
        long_side / max(width, height, 0.1),
        short_side / max(min(width, height), 0.1),
    )
    options: dict[str, Any] = {"format": "png", "dpi": max(dpi, 10.0)}
    if axes is not None:
        # no renderer passed: matplotlib finds one even for a closed figure, whose canvas
        # (FigureCanvasBase) has no get_renderer
        box = axes.get_tightbbox().transformed(figure.dpi_scale_trans.inverted())
        options["bbox_inches"] = box.padded(0.05)
    buffer = io.BytesIO()
    figure.savefig(buffer, **options)
    return buffer.getvalue()


def _raw(value: Any, detail: str) -> Any:
    """``value`` as an open PIL image."""
    from PIL import Image

    module = type(value).__module__.split(".")[0]
    if module == "PIL":
        return value
    if module == "matplotlib":
        data = _figure_png(value, detail)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif _is_path(value):
        path = Path(value)
        if not path.is_file():
            raise ConfigurationError(f"no image file at {str(path)!r}")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise ConfigurationError(f"{path.name} is larger than 20 MB, Azure's image limit")
        data = path.read_bytes()
    else:
        raise ConfigurationError(
            f"a {type(value).__name__} is not an image: give a matplotlib Figure or Axes, a PIL"
            " image, PNG/JPEG bytes or the path of an image file"
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise ConfigurationError("the image is larger than 20 MB, Azure's image limit")
    if sniff(data) is None:
        raise ConfigurationError("not a PNG, JPEG, GIF or WEBP image (its first bytes say so)")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ConfigurationError(f"the image could not be read: {exc}") from None
    return image


def _normalised(image: Any) -> Any:
    """Upright (EXIF orientation), first frame, and in a mode PNG/JPEG can hold."""
    from PIL import ImageOps

    if getattr(image, "is_animated", False):
        image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if transparent else "RGB")
    return image


def _fitted(image: Any, long_side: int, short_side: int) -> Any:
    from PIL import Image

    width, height = image.size
    scale = min(1.0, long_side / max(width, height), short_side / max(1, min(width, height)))
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _save(image: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, format="PNG")  # optimize=True: 10x the time for ~10 % less
    else:
        if image.mode in ("RGBA", "LA"):  # JPEG has no alpha: flatten onto white
            from PIL import Image

            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def _encode(image: Any, photo: bool, max_bytes: int, box: tuple[int, int]) -> EncodedImage:
    original = image.size
    image = _normalised(image)
    long_side, short_side = box
    while True:
        fitted = _fitted(image, long_side, short_side)
        fmt = "JPEG" if photo else "PNG"
        data = _save(fitted, fmt)
        if len(data) > max_bytes and fmt == "PNG":
            fmt, data = "JPEG", _save(fitted, "JPEG")
        if len(data) <= max_bytes or max(fitted.size) <= 64:
            width, height = fitted.size
            return EncodedImage(f"image/{fmt.lower()}", data, width, height, original)
        long_side, short_side = round(long_side * 0.75), round(short_side * 0.75)


def encode_image(
    value: Any, *, detail: str = "auto", max_bytes: int = MAX_ENCODED_BYTES
) -> EncodedImage:
    """``value`` fitted to what Azure looks at for ``detail`` and re-encoded in at most
    ``max_bytes`` (smaller still when needed). One ``ConfigurationError`` line for what
    is not a readable image."""
    check_detail(detail)
    image = _raw(value, detail)
    photo = getattr(image, "format", None) == "JPEG"
    return _encode(image, photo, max_bytes, _box(detail))


def thumbnail(value: Any, side: int = THUMBNAIL_SIDE) -> EncodedImage | None:
    """A small picture of ``value`` (an image source or an ``EncodedImage``) to show what
    was sent; None when even that would be larger than ``MAX_THUMBNAIL_CHARS``."""
    source = value.data if isinstance(value, EncodedImage) else value
    image = _raw(source, "low")
    photo = getattr(image, "format", None) == "JPEG"
    encoded = _encode(image, photo, MAX_THUMBNAIL_CHARS * 3 // 4 - 64, (side, side))
    return encoded if len(encoded.data_url) <= MAX_THUMBNAIL_CHARS else None


def image_block(value: Any, *, detail: str = "auto") -> dict[str, Any]:
    """A Claude-shaped image content block for ``value`` (see :func:`encode_image`)."""
    return encode_image(value, detail=detail).block(detail)


def user_message(content: str | list[Any]) -> dict[str, Any]:
    """A streaming-input user message (the Claude Agent SDK's shape) holding ``content``."""
    return {"type": "user", "message": {"role": "user", "content": content}}


async def image_prompt(
    text: str, *images: Any, detail: str = "auto"
) -> AsyncIterator[dict[str, Any]]:
    """``text`` and ``images`` as one user message, for ``azure_query`` or
    ``AzureAgentClient.query``; an item may also be a ready block (a dict, such as
    :func:`image_block` returns, or a text block)."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for image in images:
        blocks.append(image if isinstance(image, dict) else image_block(image, detail=detail))
    yield user_message(blocks)


__all__ = [
    "DETAILS",
    "MAX_ENCODED_BYTES",
    "MAX_IMAGES",
    "MAX_IMAGE_BYTES",
    "EncodedImage",
    "encode_image",
    "image_block",
    "image_prompt",
    "is_image_source",
    "sniff",
    "thumbnail",
    "user_message",
]
