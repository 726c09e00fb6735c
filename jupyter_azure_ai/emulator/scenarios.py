"""What the emulator answers: deterministic replies, tool calls and faults on demand.

Replies depend only on the request, so tests and demos can assert exact text:
"capital of France" → **Paris**, "haiku" → a 3-line haiku, "hello" → a greeting,
"... N words ..." → a long Markdown essay of N words (N <= 20,000; for load tests),
"Repeat verbatim:" then any text → that text exactly (a model repeating what it read:
the rendering tests' payloads), a prompt mentioning "sentiment" → ``positive``,
``negative`` or ``neutral`` from the telling words in it (``map_rows`` demos),
anything else → a Markdown answer quoting the prompt
(heading, bullets, a fenced code block) ending with "(turn N of this conversation)",
N = number of user messages.
When ``tools`` are offered and the prompt names one (or asks for weather and a tool
name contains "weather"), the model calls it, once per place named in the prompt
("weather in Paris and London" → two parallel calls). An MCP tool ``mcp__<server>__<tool>``
is also called by its short name ("use the add tool"), and the ``Task`` tool when the prompt
names one of its agents ("ask the reviewer agent ..."). Arguments: an enum takes the value the
prompt names, numbers the prompt's numbers in order ("add 15 and 27" → 15, 27), a ``prompt``
parameter the prompt (the text after its first ":" when it has one). After ``role: tool``
results it answers "Based on <tool>: <result>".

A JSON object right after a tool's name is that call's arguments, exactly (``run Bash
{"command": "ls"}``). A system message whose content is not a string or text parts is
refused with Azure's 400 (``system_content_error``).

Faults are chosen by deployment name ``fault-<name>`` (or ``"model"`` on the v1
path) or by the request header ``x-emulator-fault: <name>``. ``<name>*<n>`` faults
only the first n requests carrying that exact spec since the last ``reset()``; after
that, and for the reply itself, a fault deployment behaves like ``gpt-4``.

==============================  ====================================================
``429``                          APIM rate limit, ``Retry-After: 1``
``429-ms``                       Azure OpenAI 429, ``retry-after-ms: 20``,
                                 ``retry-after: 1``, ``x-ratelimit-remaining-*``
``429-date``                     APIM 429 with ``Retry-After`` as an HTTP date ~1 s ahead
``quota``                        APIM 403 "Out of call volume quota"
``500`` ``502`` ``503`` ``504``  transient server / gateway errors
``408``                          request timeout
``expired-token``                APIM 401 ``Invalid JWT.`` as if the token had expired
``slow-first-byte``              wait 1.5 s (``x-emulator-delay-ms``) before the headers
``slow``                         wait 50 ms (``x-emulator-delay-ms``) between chunks
``cut``                          a few chunks, then the connection is dropped mid-body
``malformed``                    one ``data:`` line that is not JSON
``content-filter``               400 ``content_filter`` on the prompt (``hate``)
``content-filter-completion``    some text, then finish_reason ``content_filter``
                                 (``violence``)
``redirect``                     307 to the same URL on ``localhost`` (another host)
``crlf``                         CRLF line ends
``fragmented``                   body written in 1-7 byte pieces, splitting UTF-8
                                 characters, with ``: keep-alive`` comments
``refusal``                      with ``response_format``: the ``refusal`` field
``invalid-json``                 with ``response_format``: the object cut in half
``schema-mismatch``              with ``response_format``: its first property missing
==============================  ====================================================

A ``response_format`` json_schema request is checked and answered by ``structured.py``.

The deployment ``window-N`` has a context window of N tokens: a request whose prompt
(``count_prompt_tokens``, which is also what ``usage.prompt_tokens`` reports) plus its
``max_tokens`` is larger gets Azure's 400 ``context_length_exceeded`` worded as gpt-4-32k
words it ("you requested T tokens (P in the messages, C in the completion)");
``window-N-messages`` words it as gpt-4o does ("your messages resulted in P tokens").
Within the window both answer like ``gpt-4``.

A request whose system message is ``%azure fix``'s is answered by ``fixes.py``: the
cause and a corrected cell that runs, for a misspelt name, a misspelt DataFrame column
and a division by zero.

A user message with ``image_url`` parts is checked and answered by ``vision.py`` (size,
format and colours of each image); ``gpt-35-turbo`` and ``o3-mini`` have no vision and
answer Azure's 400 "image_url is only supported by certain models".

Header ``x-emulator-pace: C`` (or the deployment ``paced-C``) streams the answer at a
model's pace: pieces of ``PACE_PIECE`` characters, C characters per second (a real
deployment writes ~300).

Header ``x-emulator-chunks: N`` (N <= 200000) is the benchmark mode: N identical
content chunks, written in large pieces so the server is never the bottleneck.

Header ``x-emulator-shape`` frames a streamed answer the way real gateways do (any
answer; in benchmark mode it also makes the text mixed ASCII and UTF-8, see
``BENCH_WORDS``). Values, joined with ``+`` (``crlf+segments``):

==============  ==========================================================================
``lf``          what is sent without the header: LF line ends, no comments
``crlf``        CRLF line ends and a ``: keep-alive`` comment after every third event
``segments``    the body written in 509-byte pieces, so writes cut lines, events and
                multi-byte UTF-8 characters; each piece is its own HTTP chunk, hence its
                own read in the client (see ``wire.SEGMENT``)
==============  ==========================================================================
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from . import fixes, vision

FAULT_NAMES = frozenset(
    {
        "429",
        "429-ms",
        "429-date",
        "quota",
        "500",
        "502",
        "503",
        "504",
        "408",
        "expired-token",
        "slow-first-byte",
        "slow",
        "cut",
        "malformed",
        "content-filter",
        "content-filter-completion",
        "redirect",
        "crlf",
        "fragmented",
        "refusal",
        "invalid-json",
        "schema-mismatch",
    }
)
DEPLOYMENTS = {
    "gpt-4": "gpt-4",
    "gpt-4o": "gpt-4o-2024-11-20",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-35-turbo": "gpt-35-turbo",
    "o3-mini": "o3-mini-2025-01-31",
}
"""Known deployment names and the model version their answers report."""
FAULT_PREFIX = "fault-"
MAX_BENCH_CHUNKS = 200_000
BENCH_WORD = "lorem "
BENCH_WORDS = ("lorem ", "ipsum ", "café ", "dolor ", "naïve ", "sit ", "Straße — ", "amet 🚀 ")
"""Benchmark text with ``x-emulator-shape``: 1-, 2-, 3- and 4-byte UTF-8 characters."""
SHAPES = frozenset({"lf", "crlf", "segments"})

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "call",
        "can",
        "could",
        "check",
        "do",
        "does",
        "find",
        "get",
        "give",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "of",
        "on",
        "please",
        "show",
        "tell",
        "the",
        "use",
        "what",
        "what's",
        "whats",
        "when",
        "where",
        "which",
        "will",
        "would",
    ]
)


@dataclass(frozen=True)
class FaultSpec:
    """``name`` or ``name*count``: ``count`` None means every request."""

    spec: str
    name: str
    count: int | None


def parse_fault(spec: str) -> FaultSpec:
    """Parse ``name[*n]``; ValueError names the known faults when it is not one."""
    name, star, count_text = spec.strip().partition("*")
    count = None
    if star:
        if not count_text.isdigit():
            raise ValueError(f"bad fault count in {spec!r}: expected name*<integer>")
        count = int(count_text)
    if name not in FAULT_NAMES:
        known = ", ".join(sorted(FAULT_NAMES))
        raise ValueError(f"unknown emulator fault {name!r}; known faults: {known}")
    return FaultSpec(spec.strip(), name, count)


def parse_shape(spec: str) -> frozenset[str]:
    """Parse ``x-emulator-shape`` (``crlf+segments``); ValueError names the known shapes."""
    names = frozenset(part.strip() for part in spec.split("+"))
    if not names <= SHAPES or {"lf", "crlf"} <= names:
        known = ", ".join(sorted(SHAPES))
        raise ValueError(
            f"bad x-emulator-shape {spec!r}: expected shapes joined with '+' from {known}"
            " (lf and crlf exclude each other)"
        )
    return names


def bench_pieces(count: int, mixed: bool) -> list[str]:
    """The content pieces of benchmark mode: ``BENCH_WORD``, or ``BENCH_WORDS`` in turn."""
    if not mixed:
        return [BENCH_WORD] * count
    words = BENCH_WORDS
    return [words[i % len(words)] for i in range(count)]


@dataclass(frozen=True)
class ToolCall:
    """One complete function call; the server streams ``arguments`` in fragments."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """Either text (``pieces`` joined) or ``tool_calls``, never both; with ``refusal`` the
    text is sent in the ``refusal`` field (structured outputs), not as content."""

    pieces: list[str]
    tool_calls: list[ToolCall]
    refusal: bool = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)


PACE_PIECE = 3


def paced_deployment(deployment: str) -> str | None:
    """The pace of a ``paced-C`` deployment name (C characters per second), else None."""
    pace = deployment.removeprefix("paced-")
    return pace if pace != deployment and pace.isdigit() else None


def paced_pieces(text: str) -> list[str]:
    """``text`` in ``PACE_PIECE``-character pieces (``x-emulator-pace``)."""
    return [text[i : i + PACE_PIECE] for i in range(0, len(text), PACE_PIECE)]


def split_words(text: str) -> list[str]:
    """Word-sized pieces that join back to ``text`` exactly (whitespace kept)."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


_TOKEN = re.compile(r"\w+|[^\w\s]")
MESSAGE_TOKENS = 3
"""What each message costs besides its text, as OpenAI counts it; the reply's priming
costs as much again."""


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: each word and each punctuation mark."""
    return len(_TOKEN.findall(text))


def count_prompt_tokens(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> int:
    """What the request's ``usage.prompt_tokens`` is: its real size, grown with every
    message, tool call and tool definition it carries (``count_tokens`` of each text,
    ``MESSAGE_TOKENS`` per message and for the reply, ``vision.tokens`` per image)."""
    total = MESSAGE_TOKENS
    for message in messages:
        if not isinstance(message, dict):
            continue
        total += MESSAGE_TOKENS + count_tokens(message_text(message))
        content = message.get("content")
        if isinstance(content, list):
            images = [p for p in content if isinstance(p, dict) and p.get("type") == "image_url"]
            total += sum(vision.tokens(p) for p in images)
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                total += count_tokens(f"{function.get('name', '')} {function.get('arguments', '')}")
    if tools:
        total += count_tokens(json.dumps(tools))
    return total


WINDOW_PREFIX = "window-"


def window_deployment(deployment: str) -> tuple[int, str] | None:
    """``window-N`` (a context window of N tokens, answering like gpt-4-32k) or
    ``window-N-messages`` (like gpt-4o): (N, the form of its 400), else None."""
    rest = deployment.removeprefix(WINDOW_PREFIX)
    if rest == deployment:
        return None
    size, _, form = rest.partition("-")
    if not size.isdigit() or form not in ("", "messages") or not 0 < int(size) <= 10_000_000:
        return None
    return int(size), form or "requested"


def context_length_exceeded(
    window: int, form: str, prompt: int, completion: int
) -> dict[str, Any] | None:
    """Azure's 400 body when ``prompt`` + ``completion`` tokens do not fit ``window``, in
    either of its two wordings (azure-wire-2.md §7b); None when they fit."""
    if prompt + completion <= window:
        return None
    head = f"This model's maximum context length is {window} tokens. However, "
    if form == "messages" or not completion:
        text = (
            f"{head}your messages resulted in {prompt} tokens. Please reduce the length of"
            " the messages."
        )
    else:
        text = (
            f"{head}you requested {prompt + completion} tokens ({prompt} in the messages,"
            f" {completion} in the completion). Please reduce the length of the messages or"
            " completion."
        )
    return {
        "error": {
            "message": text,
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }


def plan_reply(body: dict[str, Any], deployment: str) -> Reply:
    """Decide the whole answer to a chat request up front."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    if messages and messages[-1].get("role") == "tool":
        return Reply(split_words(_tool_results_answer(messages)), [])
    user_messages = [m for m in messages if m.get("role") == "user"]
    prompt = message_text(user_messages[-1]) if user_messages else ""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    calls = _plan_tool_calls(prompt, tools)
    if calls:
        return Reply([], calls)
    if fixes.is_fix_request(messages):  # %azure fix: a corrected cell (fixes.py)
        return Reply(split_words(fixes.fix_answer(prompt)), [])
    seen = vision.describe(user_messages[-1], prompt) if user_messages else None
    if seen is not None:  # an answer derived from the images (vision.py)
        return Reply(split_words(seen), [])
    return Reply(split_words(_text_answer(prompt, len(user_messages), deployment)), [])


def _text_answer(prompt: str, turn: int, deployment: str) -> str:
    verbatim = _VERBATIM.match(prompt)
    if verbatim:
        return prompt[verbatim.end() :]
    lowered = prompt.lower()
    if "capital of france" in lowered:
        return (
            "The capital of France is **Paris** 🇫🇷, home of the Eiffel Tower, the Louvre "
            "and many cafés."
        )
    if "haiku" in lowered:
        return "Silent servers hum\ntokens drift like autumn leaves —\nthe notebook wakes up"
    essay = _ESSAY.search(lowered)
    if essay:
        return _essay(min(int(essay.group(1)), MAX_ESSAY_WORDS))
    if "sentiment" in lowered:
        return sentiment(lowered)
    if re.search(r"\b(hello|hi|hey)\b", lowered):
        return "Hello! 👋 I'm the local Azure OpenAI emulator. How can I help you today?"
    quoted = " ".join(prompt.split())
    if len(quoted) > 200:
        quoted = quoted[:199] + "…"
    return (
        "## Emulated answer\n\n"
        f"You asked: *{quoted}*\n\n"
        f"- This reply comes from the **local emulator** (deployment `{deployment}`).\n"
        "- It is deterministic, so tests can rely on it.\n\n"
        '```python\nprint("café")\n```\n\n'
        f"(turn {turn} of this conversation)"
    )


_VERBATIM = re.compile(r"\s*repeat verbatim:[ \t]*\n?", re.IGNORECASE)
_ESSAY = re.compile(r"\b(\d{2,5}) words\b")
MAX_ESSAY_WORDS = 20_000
_SENTENCE_TEXT = (
    "Azure API Management sits between the notebook and the model, checking the key, the token"
    " and the quota before any request reaches a deployment."
)
_SENTENCE = _SENTENCE_TEXT.split(" ")


_POSITIVE = frozenset(
    [
        "love",
        "loved",
        "great",
        "excellent",
        "good",
        "happy",
        "fast",
        "helpful",
        "recommend",
        "perfect",
        "amazing",
        "easy",
        "friendly",
        "works",
        "quick",
        "delighted",
        "fantastic",
    ]
)
_NEGATIVE = frozenset(
    [
        "hate",
        "hated",
        "terrible",
        "bad",
        "slow",
        "broken",
        "awful",
        "refund",
        "worst",
        "angry",
        "disappointed",
        "poor",
        "rude",
        "late",
        "crashed",
        "crashes",
        "never",
        "useless",
    ]
)


def sentiment(lowered: str) -> str:
    """A prompt asking for a sentiment: "positive", "negative" or "neutral", by counting
    telling words in it (the label words themselves, as in "positive or negative", do
    not count) — a deterministic stand-in for a classifier, for demos of ``map_rows``."""
    words = re.findall(r"[a-z']+", lowered)
    score = sum(w in _POSITIVE for w in words) - sum(w in _NEGATIVE for w in words)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _essay(words: int) -> str:
    """A long Markdown answer of exactly ``words`` words ("... 2000 words ..."): load tests."""
    out: list[str] = []
    for i in range(words):
        word = _SENTENCE[i % len(_SENTENCE)]
        out.append(word + ("\n\n" if i % 60 == 59 else ""))
    return "## A long answer\n\n" + " ".join(out).replace("\n\n ", "\n\n")


def _tool_results_answer(messages: list[dict[str, Any]]) -> str:
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                function = call.get("function") or {}
                names[str(call.get("id"))] = str(function.get("name", "tool"))
    results: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(str(message.get("tool_call_id")), "tool")
        results.append(f"Based on {name}: {message_text(message)}")
    return "\n".join(reversed(results))


def _plan_tool_calls(prompt: str, tools: list[dict[str, Any]]) -> list[ToolCall]:
    lowered = prompt.lower()
    places = _capitalised_words(prompt)
    calls: list[ToolCall] = []
    for tool in tools:
        function = tool.get("function") if tool.get("type", "function") == "function" else None
        if not isinstance(function, dict) or not function.get("name"):
            continue
        name = str(function["name"])
        schema = function.get("parameters") or {}
        # "task" is a common word: the Task tool is called only for an agent named by name
        named = name != "Task" and (name.lower() in lowered or _short_name_asked(name, lowered))
        weather = "weather" in lowered and "weather" in name.lower()
        agent = name == "Task" and _enum_named(schema, lowered) is not None
        if not (named or weather or agent):
            continue
        if agent:  # handing the work to a subagent: that is the only call
            calls = []
        words = [p for p in places if p.lower() != name.lower()]
        for arguments in _explicit_arguments(prompt, name) or _arguments_for(schema, words, prompt):
            digest = hashlib.sha256(f"{prompt}\0{name}\0{len(calls)}".encode()).hexdigest()
            calls.append(ToolCall(f"call_{digest[:24]}", name, arguments))
        if agent:
            break
    return calls


def _short_name_asked(name: str, lowered: str) -> bool:
    """An MCP tool ``mcp__<server>__<tool>`` asked for by its own name: "use the add
    tool", "call add", "add tool" (a whole word next to "use", "call" or "tool")."""
    if not name.startswith("mcp__"):
        return False
    short = re.escape(name.rsplit("__", 1)[-1].lower())
    asked = rf"\b(use|call|run|with)( the)? {short}\b|\b{short} tool\b"
    return re.search(asked, lowered) is not None


def _enum_named(schema: dict[str, Any], lowered: str) -> tuple[str, Any] | None:
    """The first (parameter, value) of a required enum parameter whose value the prompt
    names as a word ("ask the reviewer agent" → ``("subagent_type", "reviewer")``)."""
    properties = schema.get("properties") or {}
    for param in schema.get("required") or []:
        for value in (properties.get(param) or {}).get("enum") or []:
            text = re.escape(str(value).lower())
            if re.search(rf"(?<![\w-]){text}(?![\w-])", lowered):
                return param, value
    return None


def _explicit_arguments(prompt: str, name: str) -> list[str]:
    """A JSON object written right after the tool's name is its arguments, exactly:
    ``run Bash {"command": "ls"}``, ``call Read with {"file_path": "a.txt"}``."""
    decoder = json.JSONDecoder()
    for found in re.finditer(rf"\b{re.escape(name)}\b[^{{\n]{{0,20}}(?={{)", prompt):
        try:
            value, _ = decoder.raw_decode(prompt, found.end())
        except ValueError:
            continue
        if isinstance(value, dict):
            return [json.dumps(value, ensure_ascii=False, separators=(",", ":"))]
    return []


def system_content_error(messages: list[Any]) -> tuple[str, str, str] | None:
    """Azure's 400 for a system message whose content is not a string or text parts:
    (message, param, code), else None."""
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer"):
            continue
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            kind = {dict: "an object", int: "an integer", float: "a number", bool: "a boolean"}
            got = "null" if content is None else kind.get(type(content), "an object")
            return (
                f"Invalid type for 'messages[{i}].content': expected one of a string or array"
                f" of objects, but got {got} instead.",
                f"messages[{i}].content",
                "invalid_type",
            )
        for j, part in enumerate(content):
            kind_of = part.get("type") if isinstance(part, dict) else None
            if kind_of != "text" or not isinstance(part.get("text"), str):
                return (
                    f"Invalid value: {str(kind_of)!r}. Supported values are: 'text'.",
                    f"messages[{i}].content[{j}].type",
                    "invalid_value",
                )
    return None


def _capitalised_words(prompt: str) -> list[str]:
    words = re.findall(r"\b[^\W\d_][\w'-]*", prompt)
    return [w for w in words if w[0].isupper() and w.lower() not in _STOPWORDS]


def _arguments_for(schema: dict[str, Any], words: list[str], prompt: str = "") -> list[str]:
    """One JSON argument string per call: several calls when several places are named.

    An enum takes the value the prompt names (else its first); numbers take the
    prompt's numbers in order (else 1); a ``prompt`` parameter gets the whole prompt and
    a ``description`` its first words (the ``Task`` tool's arguments)."""
    properties = schema.get("properties") or {}
    numbers = [float(n) if "." in n else int(n) for n in re.findall(r"-?\d+(?:\.\d+)?", prompt)]
    chosen = _enum_named(schema, prompt.lower())
    required = [r for r in schema.get("required") or [] if r in properties]
    string_params = [
        r
        for r in required
        if properties[r].get("type") == "string" and not properties[r].get("enum")
    ]
    runs = len(words) if len(string_params) == 1 and len(words) > 1 else 1
    out: list[str] = []
    for run in range(runs):
        args: dict[str, Any] = {}
        number = iter(numbers)
        for position, param in enumerate(required):
            spec = properties[param]
            kind = spec.get("type")
            if spec.get("enum"):
                named = chosen is not None and chosen[0] == param
                args[param] = chosen[1] if named and chosen else spec["enum"][0]
            elif kind == "string" and param == "prompt" and prompt:
                args[param] = prompt.split(":", 1)[-1].strip() or prompt
            elif kind == "string" and param == "description" and prompt:
                args[param] = " ".join(prompt.split()[:5])
            elif kind == "string":
                index = run + string_params.index(param)
                args[param] = words[index % len(words)] if words else "Seattle"
            elif kind in ("integer", "number"):
                value = next(number, 1)
                args[param] = int(value) if kind == "integer" else value
            elif kind == "boolean":
                args[param] = True
            elif kind == "array":
                args[param] = []
            else:
                args[param] = {} if kind == "object" else f"value{position}"
        out.append(json.dumps(args, ensure_ascii=False, separators=(",", ":")))
    return out


def argument_fragments(arguments: str, size: int = 5) -> list[str]:
    """Split a tool call's JSON arguments the way the service streams them."""
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]
