"""Benchmarks: jupyter-azure-ai against its peers, measured in the same run.

    python bench/run.py                # full run (~2 minutes)
    python bench/run.py --quick        # short run for CI; fails only on gross regressions
    python bench/run.py --stream-only  # only the streaming rows (work on the hot path)

The emulator runs in a separate process (so the server does not share the GIL with
the clients) and serves pre-built streams in benchmark mode (``x-emulator-chunks``),
so what is measured is each client's own cost of reading, decoding and parsing.
Peers: a plain httpx ``aiter_lines`` + ``json.loads`` loop, and openai-python's
``AsyncAzureOpenAI``. Ratios are "times as fast" (>1 is better for us), except
first-token overhead, a difference in milliseconds (median of runs taken in pairs).

Streaming is measured on three stream shapes (``x-emulator-shape``, see the emulator's
scenarios): ``lf`` (clean LF events in 16 KiB reads), ``crlf`` (CRLF line ends and
``: keep-alive`` comments) and ``segments`` (509-byte writes cutting lines and UTF-8
characters: one read per write). Per shape, three contenders run interleaved, in a
rotating order, and each keeps its best wall-clock and best ``time.process_time()``
of the runs: the transport floor (httpx ``aiter_raw`` reading the bytes and nothing
else), the plain loop, and ours. "CPU above floor" is (ours - floor) / (plain - floor):
the share of the plain loop's own work that ours costs (target <= 0.5).

One prompt over many rows (bench/mapping.py): ``map_rows`` on a rate-limited deployment
with a known quota (share of the quota used, share of requests answered 429, failed
rows) beside a naive ``asyncio.gather`` + semaphore over openai-python with its own
retries, on the same quota; and memory growth / CPU per row answered from the cache.

The Batch API client (bench/batch.py): JSONL build time per 10,000 rows and the peak
RSS growth while building and uploading 250,000 rows (20,000 with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.jupyter.kernel

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, StreamEvent

MESSAGES = [{"role": "user", "content": "benchmark"}]
SHAPES = ("lf", "crlf", "segments")


def start_emulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_azure_ai.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    while len(env) < 9:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator exited before printing its settings")
        if line.startswith("export "):
            name, _, value = line[len("export ") :].strip().partition("=")
            env[name] = shlex.split(value)[0]
    return proc, env


class Peers:
    """The three clients, warm (connection open, token cached) before timing."""

    def __init__(self, env: dict[str, str], token: str) -> None:
        self.env = env
        self.ca = env["SSL_CERT_FILE"]
        self.key = env["AZURE_APIM_SUBSCRIPTION_KEY"]
        self.url = (
            f"{env['AZURE_APIM_ENDPOINT']}/deployments/gpt-4/chat/completions"
            "?api-version=2024-10-21"
        )
        self.token = token
        self.httpx = httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=self.ca), timeout=60
        )
        self.ours: dict[tuple[int, str | None, bool], AzureAgentClient] = {}

    def ours_for(
        self, chunks: int, partial: bool = False, shape: str | None = None
    ) -> AzureAgentClient:
        key = (chunks, shape, partial)
        if key not in self.ours:
            headers = _bench_headers(chunks, shape) or None
            options = AzureOpenAIOptions.from_env(
                self.env,
                verify=self.ca,
                default_headers=headers,
                include_partial_messages=partial,
                max_tokens=1_000_000,  # the peers send no limit: stream all N chunks
            )
            self.ours[key] = AzureAgentClient(options)
        return self.ours[key]

    def _headers(self, chunks: int, shape: str | None) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}", "Ocp-Apim-Subscription-Key": self.key}
        return {**auth, **_bench_headers(chunks, shape)}

    async def floor(self, chunks: int, shape: str | None = None) -> float:
        """The transport floor: the same request, the bytes read and nothing else."""
        body = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
        start = time.perf_counter()
        headers = self._headers(chunks, shape)
        async with self.httpx.stream("POST", self.url, json=body, headers=headers) as r:
            async for _ in r.aiter_raw():
                pass
        return time.perf_counter() - start

    async def raw_httpx(
        self, chunks: int, first_token: bool = False, shape: str | None = None
    ) -> float:
        """The plain loop a careful user would write: aiter_lines + json.loads."""
        headers = self._headers(chunks, shape)
        body = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
        start = time.perf_counter()
        parts = []
        async with self.httpx.stream("POST", self.url, json=body, headers=headers) as r:
            async for line in r.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        if first_token:
                            return time.perf_counter() - start
                        parts.append(text)
        return time.perf_counter() - start

    async def jupyter_azure_ai(
        self, chunks: int, first_token: bool = False, shape: str | None = None
    ) -> float:
        client = self.ours_for(chunks, partial=first_token, shape=shape)
        client.reset()
        start = time.perf_counter()
        await client.query("benchmark")
        async for message in client.receive_response():
            if (
                first_token
                and isinstance(message, StreamEvent)
                and message.event.get("type") == "content_block_delta"
            ):
                elapsed = time.perf_counter() - start
                await client.interrupt()
                return elapsed
        return time.perf_counter() - start

    async def openai_python(self, chunks: int, shape: str | None = None) -> float:
        import httpx2
        from openai import AsyncAzureOpenAI

        if not hasattr(self, "_openai"):
            self._openai = AsyncAzureOpenAI(
                azure_endpoint=self.env["AZURE_APIM_ENDPOINT"].removesuffix("/openai"),
                api_version="2024-10-21",
                azure_ad_token=self.token,
                default_headers={"Ocp-Apim-Subscription-Key": self.key},
                http_client=httpx2.AsyncClient(
                    verify=ssl.create_default_context(cafile=self.ca), timeout=60
                ),
            )
        headers = _bench_headers(chunks, shape)
        start = time.perf_counter()
        stream = await self._openai.chat.completions.create(
            model="gpt-4",
            messages=MESSAGES,
            stream=True,
            extra_headers=headers,  # type: ignore[arg-type]
        )
        parts = []
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
        return time.perf_counter() - start

    async def aclose(self) -> None:
        await self.httpx.aclose()
        for client in self.ours.values():
            await client.disconnect()
        if hasattr(self, "_openai"):
            await self._openai.close()


def _bench_headers(chunks: int, shape: str | None) -> dict[str, str]:
    headers = {"x-emulator-chunks": str(chunks)} if chunks else {}
    if shape is not None:
        headers["x-emulator-shape"] = shape
    return headers


async def best_interleaved(
    runs: int, contenders: dict[str, Callable[[], Awaitable[float]]]
) -> dict[str, tuple[float, float]]:
    """Best (wall seconds, process CPU seconds) of each contender over ``runs`` rounds.

    Each round runs every contender once, the order rotating from round to round, so
    a burst of load from elsewhere on the machine falls on all of them alike.
    """
    names = list(contenders)
    for name in names:
        await contenders[name]()  # warm-up
    best = {name: (float("inf"), float("inf")) for name in names}
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            cpu = time.process_time()
            wall = time.perf_counter()
            await contenders[name]()
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


async def shape_rows(
    peers: Peers, n: int, runs: int
) -> tuple[list[tuple[str, str, str, str, bool]], dict[str, float]]:
    """Per stream shape: wall-clock vs the plain loop, and client CPU above the floor."""
    rows: list[tuple[str, str, str, str, bool]] = []
    ours_wall: dict[str, float] = {}
    for shape in SHAPES:
        best = await best_interleaved(
            runs,
            {
                "floor": partial(peers.floor, n, shape),
                "plain": partial(peers.raw_httpx, n, shape=shape),
                "ours": partial(peers.jupyter_azure_ai, n, shape=shape),
            },
        )
        floor_w, floor_c = best["floor"]
        plain_w, plain_c = best["plain"]
        ours_w, ours_c = best["ours"]
        ours_wall[shape] = ours_w
        speed = plain_w / ours_w
        above = (ours_c - floor_c) / max(plain_c - floor_c, 1e-9)
        rows.append(
            (
                f"stream {n:,} chunks, {shape}: wall vs plain httpx loop",
                f"{ours_w * 1000:.0f} ms",
                f"{plain_w * 1000:.0f} ms (floor {floor_w * 1000:.0f})",
                f"{speed:.2f}x (target >= 1.5x)",
                speed >= 0.6,
            )
        )
        rows.append(
            (
                f"stream {n:,} chunks, {shape}: client CPU above floor",
                f"{(ours_c - floor_c) * 1000:.0f} ms",
                f"{(plain_c - floor_c) * 1000:.0f} ms (floor {floor_c * 1000:.0f})",
                f"{above:.2f} (target <= 0.5)",
                above <= 1.0,
            )
        )
    return rows, ours_wall


async def median_of(runs: int, fn: Callable[[], Awaitable[float]]) -> float:
    await fn()  # warm-up
    return statistics.median([await fn() for _ in range(runs)])


async def median_paired(
    runs: int, a: Callable[[], Awaitable[float]], b: Callable[[], Awaitable[float]]
) -> tuple[float, float, float]:
    """Medians of ``a``, of ``b`` and of ``b - a`` over runs taken in pairs, alternating
    which goes first, so a burst of load elsewhere hits both sides of a pair."""
    await a()
    await b()  # warm-up
    pairs = []
    for i in range(runs):
        if i % 2:
            y, x = await b(), await a()
        else:
            x, y = await a(), await b()
        pairs.append((x, y))
    xs, ys = zip(*pairs, strict=True)
    diff = statistics.median(y - x for x, y in pairs)
    return statistics.median(xs), statistics.median(ys), diff


async def concurrent(n: int, fn: Callable[[], Awaitable[float]]) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(fn() for _ in range(n)))
    return time.perf_counter() - start


def import_time_ms(runs: int) -> float:
    code = (
        "import time; t = time.perf_counter(); import jupyter_azure_ai;"
        " print(time.perf_counter() - t)"
    )
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times) * 1000


async def measure(
    quick: bool, env: dict[str, str], stream_only: bool = False
) -> list[tuple[str, str, str, str, bool]]:
    from azure.identity import ClientSecretCredential

    cred = ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        env["AZURE_CLIENT_SECRET"],
        authority=env["AZURE_AUTHORITY_HOST"],
        connection_verify=env["SSL_CERT_FILE"],
        disable_instance_discovery=True,
    )
    token = cred.get_token("https://cognitiveservices.azure.com/.default").token
    cred.close()
    peers = Peers(env, token)
    runs = 3 if quick else 7
    n = 20_000
    rows: list[tuple[str, str, str, str, bool]] = []
    try:
        shaped, ours_wall = await shape_rows(peers, n, runs)
        rows.extend(shaped)
        if stream_only:
            return rows
        oai = (
            await best_interleaved(
                max(1, runs // 2), {"openai": lambda: peers.openai_python(n, shape="lf")}
            )
        )["openai"][0]
        ours = ours_wall["lf"]
        rows.append(
            (
                f"stream {n:,} chunks, lf: wall vs openai-python",
                f"{ours * 1000:.0f} ms",
                f"{oai * 1000:.0f} ms",
                f"{oai / ours:.2f}x (target >= 6x)",
                oai / ours >= 1.0,
            )
        )

        ft_runs = 30 if quick else 200
        ft_raw, ft_ours, delta_s = await median_paired(
            ft_runs,
            lambda: peers.raw_httpx(0, first_token=True),
            lambda: peers.jupyter_azure_ai(0, first_token=True),
        )
        delta = delta_s * 1000
        rows.append(
            (
                "first-token latency, warm, vs raw httpx",
                f"{ft_ours * 1000:.2f} ms",
                f"{ft_raw * 1000:.2f} ms",
                f"{delta:+.2f} ms (target <= +0.5 ms)",
                delta < 5,
            )
        )

        c_chunks, c_n = 2_000, 32
        c_raw = await median_of(runs, lambda: concurrent(c_n, lambda: peers.raw_httpx(c_chunks)))
        c_ours = await median_of(runs, lambda: concurrent(c_n, lambda: _one_shot(peers, c_chunks)))
        rows.append(
            (
                "32 concurrent streams x 2,000 chunks vs raw httpx",
                f"{c_ours * 1000:.0f} ms",
                f"{c_raw * 1000:.0f} ms",
                f"{c_raw / c_ours:.2f}x (target >= 0.8x)",
                c_raw / c_ours >= 0.4,
            )
        )
    finally:
        await peers.aclose()
    imp = import_time_ms(3 if quick else 7)
    rows.append(("import jupyter_azure_ai", f"{imp:.0f} ms", "", "", imp < 1000))
    rows.extend(jupyter_rows(env, quick))
    return rows  # fmt: skip


def jupyter_rows(env: dict[str, str], quick: bool) -> list[tuple[str, str, str, str, bool]]:
    """%load_ext in a fresh kernel; iopub cost of a 2,000-word answer vs per-delta rendering."""
    from kernel import iopub_cost, load_ext_ms, paced_cost, widget_cost

    ms = load_ext_ms(env, 2 if quick else 5)
    c = iopub_cost(env)
    w = widget_cost(env)
    kib = c["answer_bytes"] / 1024
    paced = []
    for pace in (1000,) if quick else (300, 1000):  # 300 chars/s takes 20 s
        p = paced_cost(env, pace)
        paced.append(
            (f"%%azure {p['answer_bytes'] / 1000:.0f} kB Markdown at {pace} chars/s: iopub bytes"
             " / answer", f"{p['ratio']:.1f}x ({p['msgs']:.0f} msgs)", "0.1: 57x at 300/s",
             "target <= 4x", p["ratio"] <= 8)
        )  # fmt: skip
    return [*paced,
        ("%load_ext jupyter_azure_ai, fresh kernel", f"{ms:.0f} ms", "", "target < 150 ms",
         ms < 1000),
        (f"%%azure {kib:.0f} KiB answer: display msgs, busiest second",
         f"{c['magic_rate']:.0f} (of {c['magic_msgs']:.0f})",
         f"{c['naive_rate']:.0f} (of {c['naive_msgs']:.0f}) per-delta",
         "target <= 25", c["magic_rate"] <= 50),
        (f"%%azure {kib:.0f} KiB answer: iopub bytes / answer", f"{c['magic_ratio']:.1f}x",
         f"{c['naive_ratio']:.0f}x per-delta", "target <= 4x", c["magic_ratio"] <= 8),
        (f"chat panel {w['answer_bytes'] / 1024:.0f} KiB answer: comm bytes / answer",
         f"{w['ratio']:.1f}x", "", "target <= 3x", w["ratio"] <= 6),
    ]  # fmt: skip


async def _one_shot(peers: Peers, chunks: int) -> float:
    """One conversation per stream, all on the same httpx pool as the raw peer."""
    client = AzureAgentClient(peers.ours_for(chunks).options, http_client=peers.httpx)
    start = time.perf_counter()
    await client.query("benchmark")
    async for _ in client.receive_response():
        pass
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run; fail on gross regressions")
    parser.add_argument("--stream-only", action="store_true", help="only the stream-shape rows")
    args = parser.parse_args(argv)
    # the conversations of a run are saved (sessions.py): into a throwaway folder
    saved = tempfile.TemporaryDirectory(prefix="jupyter-azure-ai-bench-data-")
    os.environ.setdefault("JUPYTER_AZURE_AI_DATA_DIR", saved.name)
    proc, env = start_emulator()
    try:
        rows = asyncio.run(measure(args.quick, env, args.stream_only))
        if not args.stream_only:
            from mapping import mapping_rows  # bench/mapping.py: runs its own event loops

            rows.extend(mapping_rows(env, args.quick))
            from batch import batch_rows  # bench/batch.py: the Batch API client (~2 s quick)

            rows.extend(batch_rows(env, 20_000 if args.quick else 250_000))
    finally:
        proc.terminate()
        proc.wait(10)
    header = ("measure", "jupyter-azure-ai", "peer", "ratio")
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(4)]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print("| " + line.format(*header) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + line.format(*row[:4]) + " |")
    bad = [r[0] for r in rows if not r[4]]
    if bad:
        print(f"gross regression: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
