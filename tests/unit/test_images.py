"""Images in a prompt: encoding and fitting (images.py), the blocks → Azure parts
translation (_internal/content.py), image token estimates (history.py), the view, the
non-vision 400's line, and the emulator's checks (emulator/vision.py)."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from PIL import Image

from jupyter_azure_ai import APIStatusError, ConfigurationError, TextBlock, UserMessage
from jupyter_azure_ai._internal import history
from jupyter_azure_ai._internal.content import to_blocks, to_openai
from jupyter_azure_ai._internal.failures import error_from_response
from jupyter_azure_ai.emulator import scenarios, vision
from jupyter_azure_ai.images import (
    MAX_ENCODED_BYTES,
    MAX_IMAGES,
    MAX_THUMBNAIL_CHARS,
    encode_image,
    image_block,
    is_image_source,
    thumbnail,
)
from jupyter_azure_ai.types import ImageBlock
from jupyter_azure_ai.view import Prompt, exchanges, view_events

matplotlib.use("Agg")


def png(width: int, height: int, colour: Any = "red", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def noise(width: int, height: int) -> Image.Image:
    rng = random.Random(7)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- encoding ------------------------------------------------------------------------


def test_a_figure_is_a_png_of_its_size_and_an_axes_is_only_its_own_part() -> None:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), dpi=100)
    left.bar([1, 2, 3], [3, 5, 2], color="tab:red")
    right.plot([1, 2, 3])
    whole = encode_image(fig)
    assert whole.media_type == "image/png"
    assert (whole.width, whole.height) == (800, 300)
    assert decoded(whole.data).size == (800, 300)
    part = encode_image(left)
    assert part.width < 500 and part.height <= 300  # one subplot and its labels
    plt.close(fig)


def test_a_large_figure_is_drawn_no_larger_than_azure_looks_at() -> None:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(30, 20), dpi=200)  # 6000x4000 at its own dpi
    encoded = encode_image(fig)
    assert max(encoded.width, encoded.height) <= 2048
    assert min(encoded.width, encoded.height) <= 768
    plt.close(fig)


@pytest.mark.parametrize(
    ("size", "detail", "expected"),
    [
        ((4000, 3000), "auto", (1024, 768)),  # 2048 box, then a 768 short side
        ((4000, 3000), "high", (1024, 768)),
        ((4000, 3000), "low", (512, 384)),
        ((5000, 500), "auto", (2048, 205)),
        ((300, 200), "auto", (300, 200)),  # never made larger
    ],
)
def test_images_are_fitted_to_the_box_for_their_detail(
    size: tuple[int, int], detail: str, expected: tuple[int, int]
) -> None:
    encoded = encode_image(png(*size), detail=detail)
    assert (encoded.width, encoded.height) == expected
    assert encoded.original == size
    assert decoded(encoded.data).size == expected


def test_a_photo_too_large_as_png_becomes_a_jpeg_within_the_budget() -> None:
    encoded = encode_image(noise(1200, 800))
    assert encoded.media_type == "image/jpeg"
    assert len(encoded.data) <= MAX_ENCODED_BYTES
    smaller = encode_image(noise(1200, 800), max_bytes=60_000)
    assert len(smaller.data) <= 60_000
    assert smaller.width < encoded.width  # shrunk until it fitted


def test_a_jpeg_stays_a_jpeg_without_its_metadata(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    path = tmp_path / "photo.jpg"
    noise(200, 100).save(path, format="JPEG", exif=exif)
    assert b"SecretCameraMaker" in path.read_bytes()
    encoded = encode_image(path)
    assert encoded.media_type == "image/jpeg"
    assert b"SecretCameraMaker" not in encoded.data
    assert encode_image(str(path)).data == encoded.data


def test_transparency_is_kept_in_a_png() -> None:
    encoded = encode_image(Image.new("RGBA", (40, 30), (0, 0, 255, 128)))
    assert encoded.media_type == "image/png"
    assert decoded(encoded.data).mode == "RGBA"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (b"not an image at all", "not a PNG, JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "could not be read"),
        ("missing.png", "no image file at 'missing.png'"),
        (42, "a int is not an image"),
    ],
)
def test_what_is_not_an_image_is_one_line(value: Any, needle: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        encode_image(value)
    assert needle in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_detail_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="auto, low, high"):
        encode_image(png(4, 4), detail="medium")


def test_what_counts_as_an_image_source(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    path = tmp_path / "plot.png"
    path.write_bytes(png(4, 4))
    assert is_image_source(fig) and is_image_source(ax)
    assert is_image_source(Image.new("RGB", (2, 2)))
    assert is_image_source(png(4, 4)) and is_image_source(path) and is_image_source(str(path))
    assert not is_image_source("a sentence, not a file")
    assert not is_image_source(str(tmp_path / "absent.png"))
    assert not is_image_source(b"plain bytes")
    assert not is_image_source([1, 2, 3])
    plt.close(fig)


def test_a_thumbnail_is_small() -> None:
    small = thumbnail(noise(1600, 1200))
    assert small is not None
    assert max(small.width, small.height) <= 160
    assert len(small.data_url) <= MAX_THUMBNAIL_CHARS


def test_image_block_has_the_claude_shape_plus_detail() -> None:
    block = image_block(png(10, 10), detail="low")
    assert block["type"] == "image" and block["detail"] == "low"
    assert block["source"]["type"] == "base64"
    assert block["source"]["media_type"] == "image/png"
    assert decoded(base64.b64decode(block["source"]["data"])).size == (10, 10)


# --- blocks → Azure parts ------------------------------------------------------------


def test_blocks_become_text_and_image_url_parts() -> None:
    block = image_block(png(10, 10), detail="high")
    parts = to_openai([{"type": "text", "text": "What is this?"}, block])
    assert isinstance(parts, list)
    assert parts[0] == {"type": "text", "text": "What is this?"}
    url = parts[1]["image_url"]["url"]
    assert url == "data:image/png;base64," + block["source"]["data"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": url, "detail": "high"}}
    # text-only block lists stay a plain string, as before
    assert to_openai([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"
    # OpenAI's own parts and URL sources pass
    same = to_openai([{"type": "image_url", "image_url": {"url": url}}])
    assert same == [{"type": "image_url", "image_url": {"url": url, "detail": "auto"}}]
    remote = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    assert to_openai([remote])[1:] == []  # type: ignore[index]
    assert to_openai([remote])[0]["image_url"]["url"] == "https://example.com/a.png"  # type: ignore[index]


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        (
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/bmp", "data": "AA=="},
            },
            "media_type 'image/bmp'",
        ),
        (
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": "%%"},
            },
            "not valid base64",
        ),
        ({"type": "image", "source": {"type": "file", "path": "/x"}}, "source type 'file'"),
        ({"type": "image_url", "image_url": {"url": "javascript:alert(1)"}}, "must be https://"),
        ({"type": "image_url", "image_url": {"url": "data:,x", "detail": "low"}}, "data URL"),
    ],
)
def test_bad_image_blocks_are_one_line_before_anything_is_sent(
    block: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigurationError, match=needle.replace("(", r"\(")):
        to_openai([block])


def test_more_images_than_azure_takes_are_refused() -> None:
    block = image_block(png(2, 2))
    to_openai([block] * MAX_IMAGES)
    with pytest.raises(ConfigurationError, match="11 images in one prompt"):
        to_openai([block] * (MAX_IMAGES + 1))


def test_history_blocks_and_the_view_keep_text_and_images_together() -> None:
    block = image_block(png(10, 10))
    blocks = to_blocks(to_openai([{"type": "text", "text": "Explain"}, block]))
    assert isinstance(blocks, list)
    assert blocks[0] == TextBlock("Explain")
    image = blocks[1]
    assert isinstance(image, ImageBlock)
    assert (image.media_type, image.data, image.detail) == (
        "image/png",
        block["source"]["data"],
        "auto",
    )
    events = list(view_events([UserMessage(blocks)]))
    assert events == [Prompt("Explain", (image,))]
    assert exchanges([UserMessage(blocks)])[0].images == (image,)
    assert to_blocks("plain") == "plain"


# --- token estimates and bounding ----------------------------------------------------


def part(data: bytes, detail: str = "auto", kind: str = "png") -> dict[str, Any]:
    url = f"data:image/{kind};base64," + base64.b64encode(data).decode()
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "detail", "tokens"),
    [
        (png(600, 400), "auto", 85 + 170 * 2),
        (png(600, 400), "low", 85),
        (png(4000, 3000), "high", 85 + 170 * 4),  # fitted to 1024x768
        (jpeg(1600, 1200), "auto", 85 + 170 * 4),
        (png(2048, 768), "high", 85 + 170 * 8),
    ],
)
def test_image_tokens_follow_azures_tiles(data: bytes, detail: str, tokens: int) -> None:
    assert history.image_tokens(part(data, detail)["image_url"]) == tokens


def test_the_emulator_counts_images_as_the_estimate_does() -> None:
    for data in (png(600, 400), png(4000, 3000), jpeg(1600, 1200)):
        p = part(data, kind="jpeg" if data[:2] == b"\xff\xd8" else "png")
        assert vision.tokens(p) == history.image_tokens(p["image_url"])
    assert history.image_tokens({"url": "https://example.com/x.png"}) == history.IMAGE_TOKENS


def test_an_image_exchange_is_left_out_whole_and_its_images_count() -> None:
    image = part(png(1600, 1200))  # 765 tokens
    conversation = [
        {"role": "user", "content": [{"type": "text", "text": "Look at this"}, image]},
        {"role": "assistant", "content": "A chart."},
        {"role": "user", "content": "And now?"},
    ]
    assert history.estimate(conversation[:1]) > 765
    kept = history.select(conversation, 1000)
    assert kept.left_out == 0 and kept.messages == conversation
    cut = history.select(conversation, 100)  # the image alone is more than that
    assert cut.left_out == 1
    assert cut.messages == conversation[2:]  # neither the text nor the image went


# --- the non-vision 400 --------------------------------------------------------------


def test_the_non_vision_400_is_one_clear_line() -> None:
    body = {
        "error": {
            "message": "Invalid content type. image_url is only supported by certain models.",
            "type": "invalid_request_error",
            "param": "messages.[1].content.[1].type",
            "code": None,
        }
    }
    error = error_from_response(
        400, {"apim-request-id": "r1"}, json.dumps(body).encode(), deployment="gpt-35-turbo"
    )
    assert isinstance(error, APIStatusError) and error.status_code == 400
    text = str(error)
    assert text.startswith("Deployment 'gpt-35-turbo' does not take images")
    assert "vision deployment" in text and "\n" not in text


# --- the emulator --------------------------------------------------------------------


def message(*parts: dict[str, Any], text: str = "What is this?") -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}, *parts]}


def test_emulator_answers_from_the_image_itself() -> None:
    img = Image.new("RGB", (120, 80), "white")
    img.paste((0, 0, 255), (0, 0, 60, 30))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    answer = vision.describe(message(part(buffer.getvalue())), "What is this?")
    assert answer is not None
    assert "120x80 PNG" in answer
    assert "mostly **white** (#ffffff)" in answer
    assert "main other colour is **blue** (#0000ff)" in answer
    assert vision.describe({"role": "user", "content": "text only"}, "x") is None
    reply = scenarios.plan_reply({"messages": [message(part(png(8, 8)))]}, "gpt-4o")
    assert "8x8 PNG" in "".join(reply.pieces)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("data:image/png;base64,%%%", "not correctly formatted in base64"),
        ("data:image/png;base64," + base64.b64encode(b"hello").decode(), "unsupported image"),
        ("ftp://x/y.png", "Invalid image URL"),
    ],
)
def test_emulator_rejects_what_azure_rejects(url: str, needle: str) -> None:
    bad = {"type": "image_url", "image_url": {"url": url}}
    with pytest.raises(vision.ImageRejected) as caught:
        vision.check([{"role": "system", "content": "s"}, message(bad)], "gpt-4o")
    assert needle in caught.value.body["error"]["message"]
    assert caught.value.body["error"]["param"].startswith("messages.[1].content.[1]")


def test_emulator_non_vision_deployments_answer_azures_400() -> None:
    with pytest.raises(vision.ImageRejected) as caught:
        vision.check([message(part(png(4, 4)))], "gpt-35-turbo")
    assert caught.value.body == {
        "error": {
            "message": "Invalid content type. image_url is only supported by certain models.",
            "type": "invalid_request_error",
            "param": "messages.[0].content.[1].type",
            "code": None,
        }
    }
    assert vision.check([message()], "gpt-35-turbo") == []  # text is fine


def test_help_names_the_image_options() -> None:
    from jupyter_azure_ai.jupyter.magics import help_text

    text = help_text()
    assert "--image NAME" in text
    assert "--image-detail {auto,low,high}" in text
    assert "an image variable is sent as an image" in " ".join(text.split())


def test_a_closed_figure_and_its_axes_still_encode() -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([1, 2, 3])
    plt.close(fig)  # as a notebook does to keep the figure from showing twice
    assert (encode_image(fig).width, encode_image(fig).height) == (400, 300)
    assert encode_image(ax).width < 400


def test_a_cell_sends_each_image_once_and_field_images_first() -> None:
    from IPython.core.error import UsageError

    from jupyter_azure_ai.jupyter.cell_images import collect

    red, blue = png(8, 8, "red"), png(6, 4, "blue")
    namespace = {"red": red, "blue": blue, "n": 3}
    images = collect("See [image 1]", [("red", red)], ["blue", "red"], namespace, "low")
    assert images is not None
    assert [(e.width, e.height) for e in images.encoded] == [(8, 8), (6, 4)]
    assert images.blocks[0] == {"type": "text", "text": "See [image 1]"}
    assert [b["detail"] for b in images.blocks[1:]] == ["low", "low"]
    assert images.note.startswith("2 images sent (8x8 PNG")
    assert collect("text", [], [], namespace, "auto") is None
    with pytest.raises(UsageError, match="--image n: a int is not an image"):
        collect("x", [], ["n"], namespace, "auto")
    with pytest.raises(UsageError, match="11 images in one cell"):
        collect("x", [(str(i), png(2, 2)) for i in range(11)], [], namespace, "auto")
