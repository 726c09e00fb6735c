"""The images of one ``%%azure`` cell: ``{fig}`` fields and ``--image NAME`` options.

What a cell sends with images is one user message: its text (where each ``{name}`` that
held an image now reads ``[image N]``), then the images in order, each fitted and
re-encoded by ``jupyter_azure_ai.images``. The cell shows a thumbnail of each image as
it was sent (our own small PNG/JPEG, so a saved notebook holds kilobytes, not the
picture), and the footer says what went: ``1 image sent (600x400 PNG, 7 KB, detail auto)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from ..errors import ConfigurationError
from ..images import MAX_IMAGES, EncodedImage, encode_image, thumbnail


@dataclass(frozen=True)
class CellImages:
    """What a cell sends: its content blocks, and the images as encoded."""

    blocks: list[dict[str, Any]]
    encoded: list[EncodedImage]
    detail: str

    @property
    def note(self) -> str:
        """The footer's words for what was sent."""
        n = len(self.encoded)
        sizes = "; ".join(e.describe() for e in self.encoded[:3])
        more = f"; +{n - 3} more" if n > 3 else ""
        return f"{n} image{'s' if n != 1 else ''} sent ({sizes}{more}, detail {self.detail})"


def collect(
    text: str,
    fields: Sequence[tuple[str, Any]],
    names: Sequence[str],
    namespace: Mapping[str, Any],
    detail: str,
) -> CellImages | None:
    """The cell's images, ``{field}`` ones first (``fields``: name and value), then the
    ``--image`` ``names``; None when there are none. Anything that is not an image is
    one ``UsageError`` line, before anything is sent."""
    found: list[tuple[str, Any]] = [(f"{{{name}}}", value) for name, value in fields]
    for name in names:
        if name not in namespace:
            raise UsageError(f"--image {name}: no variable of that name in the notebook")
        if any(value is namespace[name] for _, value in found):
            continue  # already sent once ({fig} and --image fig)
        found.append((f"--image {name}", namespace[name]))
    if not found:
        return None
    if len(found) > MAX_IMAGES:
        raise UsageError(
            f"{len(found)} images in one cell; Azure takes at most {MAX_IMAGES} per request"
        )
    encoded = []
    for label, value in found:
        try:
            encoded.append(encode_image(value, detail=detail))
        except ConfigurationError as exc:
            raise UsageError(f"{label}: {exc}; nothing was sent") from None
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text.strip() else []
    blocks += [e.block(detail) for e in encoded]
    return CellImages(blocks, encoded, detail)


def show_thumbnails(images: CellImages) -> None:
    """One small picture per image sent (``image/png`` or ``image/jpeg``, never HTML)."""
    from IPython.display import display

    for n, image in enumerate(images.encoded, 1):
        caption = f"[image {n}: {image.describe()}, detail {images.detail}]"
        small = thumbnail(image)
        if small is None:
            display({"text/plain": caption}, raw=True)
            continue
        data = {small.media_type: small.base64, "text/plain": caption}
        size = {"width": small.width, "height": small.height}
        display(data, raw=True, metadata={small.media_type: size})


__all__ = ["CellImages", "collect", "show_thumbnails"]
