"""One batch input file: its validation (``errors.data[]``) and the answer to each line.

Validation codes and the rules they stand for are listed in :mod:`.batches`; answers come
from the same code chat uses, so a batch row and a ``map_rows`` row get the same text.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from . import quota, scenarios, structured
from .wire import FAULT_BODIES, Answer, content_filter_body

MAX_LINES = 100_000
MAX_ERRORS = 100
CHAT_URLS = frozenset({"/chat/completions", "/v1/chat/completions"})
BATCH_SUFFIX = "-batch"
FAULT_PREFIX = "fault-batch-"
_BOM = b"\xef\xbb\xbf"
_ROW_FAULT = re.compile(r"\[emulator-fault:([\w*.-]+)\]")
_ROW_STATUS_FAULTS = frozenset({*FAULT_BODIES, "429", "429-ms", "429-date", "content-filter"})


@dataclass(frozen=True)
class Line:
    """One request of the file: its ``custom_id``, its chat ``body`` and the chat fault
    its messages ask for (``[emulator-fault:<name>]``), if any."""

    custom_id: str
    body: dict[str, Any]
    fault: str | None


@dataclass
class Parsed:
    """What validation found: the lines (empty when it failed), the ``errors.data[]``
    entries, the deployment of line 1 and the number of non-blank lines."""

    lines: list[Line]
    errors: list[dict[str, Any]]
    model: str | None
    total: int


def error(
    code: str, message: str, line: int | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def is_global_batch(deployment: str) -> bool:
    return deployment.endswith(BATCH_SUFFIX) or deployment.startswith(FAULT_PREFIX)


def answering_deployment(deployment: str) -> str:
    """The deployment whose answers a batch deployment gives: ``gpt-4o-batch`` → ``gpt-4o``."""
    base = deployment.removesuffix(BATCH_SUFFIX)
    return base if base in scenarios.DEPLOYMENTS else "gpt-4"


def validate(data: bytes, completion_window: Any) -> Parsed:
    """Parse and check the whole file the way batch validation does."""
    raw = [line for line in data.split(b"\n")]
    numbered = [(n, line) for n, line in enumerate(raw, 1) if line.strip()]
    total = len(numbered)
    if data.startswith(_BOM):
        message = (
            "Validation failed: A valid model deployment name couldn't be extracted from the"
            " input file. Please ensure that each row in the input file has a valid deployment"
            " name specified in the 'model' field, and that the deployment name is consistent"
            " across all rows."
        )
        return Parsed([], [error("invalid_request", message)], None, total)
    if not numbered:
        message = (
            "The input file is empty. Please ensure that the batch contains at least one request."
        )
        return Parsed([], [error("empty_file", message)], None, 0)
    if total > MAX_LINES:
        message = f"The input file has {total} requests; a batch may hold at most {MAX_LINES}."
        return Parsed([], [error("too_many_tasks", message)], None, total)
    errors: list[dict[str, Any]] = []
    if completion_window != "24h":
        message = (
            f"Invalid completion_window {completion_window!r}: the only supported value is '24h'."
        )
        errors.append(error("invalid_request", message, None, "completion_window"))
    lines: list[Line] = []
    first_url: str | None = None
    first_model: str | None = None
    seen: set[str] = set()
    for number, text in numbered:
        problem, line, url, model = _check_line(number, text)
        if problem is None and line is not None:
            if first_url is None:
                first_url, first_model = url, model
                problem = _check_deployment(number, model)
            elif url != first_url:
                problem = error(
                    "url_mismatch",
                    f"The url '{url}' differs from the url '{first_url}' of the first request.",
                    number,
                    "url",
                )
            elif model != first_model:
                problem = error(
                    "model_mismatch",
                    f"The model '{model}' differs from the model '{first_model}' of the first"
                    " request. Every request of a batch must use the same deployment.",
                    number,
                    "body.model",
                )
            elif line.custom_id in seen:
                problem = error(
                    "duplicate_custom_id",
                    f"The custom_id '{line.custom_id}' is used by more than one request.",
                    number,
                    "custom_id",
                )
            seen.add(line.custom_id)
        if problem is not None:
            if len(errors) < MAX_ERRORS:
                errors.append(problem)
        elif line is not None:
            lines.append(line)
    return Parsed([] if errors else lines, errors, first_model, total)


def _check_line(number: int, text: bytes) -> tuple[dict[str, Any] | None, Line | None, str, str]:
    try:
        item = json.loads(text)
    except ValueError:
        return (
            error("invalid_json_line", "This line is not parseable as valid JSON.", number),
            None,
            "",
            "",
        )
    if not isinstance(item, dict):
        return _bad(number, "The request must be a JSON object."), None, "", ""
    custom_id, method, url, body = (item.get(k) for k in ("custom_id", "method", "url", "body"))
    if not isinstance(custom_id, str) or not custom_id:
        return _bad(number, "Missing required field 'custom_id'.", "custom_id"), None, "", ""
    if method != "POST":
        return _bad(number, "The method must be 'POST'.", "method"), None, "", ""
    if url not in CHAT_URLS:
        message = f"Unsupported url {url!r}: the emulator answers /chat/completions requests only."
        return _bad(number, message, "url"), None, "", ""
    if not isinstance(body, dict):
        return _bad(number, "Missing required field 'body'.", "body"), None, "", ""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return _bad(number, "Missing required parameter 'body.model'.", "body.model"), None, "", ""
    marked = _ROW_FAULT.search(text.decode("utf-8", "replace"))
    fault = marked.group(1).partition("*")[0] if marked else None
    return None, Line(custom_id, body, fault), str(url), model


def _bad(number: int, message: str, param: str | None = None) -> dict[str, Any]:
    return error("invalid_request", message, number, param)


def _check_deployment(number: int, model: str | None) -> dict[str, Any] | None:
    if model is None or is_global_batch(model):
        return None
    if model in scenarios.DEPLOYMENTS:
        message = (
            f"The deployment '{model}' is not a Global-Batch or Data Zone Batch deployment;"
            " only deployments of SKU 'globalbatch' can run batch jobs."
        )
        return error("invalid_request", message, number, "body.model")
    message = f"The provided model deployment '{model}' does not exist in this resource."
    return error("model_not_found", message, number, "body.model")


def row_fails(line: Line) -> bool:
    """True when the row's own fault makes it an error-file line."""
    return line.fault in _ROW_STATUS_FAULTS


def answer(line: Line, deployment: str, api_version: str) -> tuple[int, dict[str, Any]]:
    """The status code and body chat would give this line's request."""
    body = line.body
    if line.fault in _ROW_STATUS_FAULTS:
        return fault_body(line.fault, api_version)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return 400, _invalid("Missing required parameter: 'messages'.", "messages")
    schema_error = structured.schema_error(body, api_version)
    if schema_error is not None:
        return 400, schema_error
    base = answering_deployment(deployment)
    reply = scenarios.plan_reply(body, base)
    if not reply.tool_calls:
        reply = structured.structured_reply(body, line.fault) or reply
    model = scenarios.DEPLOYMENTS[base]
    return 200, Answer(body, model, reply, line.fault).completion()


def _invalid(message: str, param: str | None) -> dict[str, Any]:
    return {
        "error": {
            "code": "missing_required_parameter",
            "message": message,
            "param": param,
            "type": "invalid_request_error",
        }
    }


def fault_body(name: str, api_version: str) -> tuple[int, dict[str, Any]]:
    if name in FAULT_BODIES:
        return FAULT_BODIES[name]
    if name == "content-filter":
        return 400, content_filter_body()
    return 429, quota.rate_limited_body(api_version or "v1", "token", 1)


def output_line(custom_id: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An output- or error-file line (Azure's sample shape: no top-level ``id``)."""
    response = {"body": body, "request_id": str(uuid.uuid4()), "status_code": status}
    return {"custom_id": custom_id, "response": response, "error": None}


def expired_line(custom_id: str) -> dict[str, Any]:
    message = "This request could not be executed before the completion window expired."
    return {
        "custom_id": custom_id,
        "response": None,
        "error": {"code": "batch_expired", "message": message},
    }
