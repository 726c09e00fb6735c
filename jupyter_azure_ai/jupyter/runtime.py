"""One background event-loop thread per kernel, owning the one shared client.

Why a thread and not ``nest_asyncio``: patching the kernel's loop loses widget
messages on ipykernel 7 and breaks anyio after Ctrl-C. Here every network call runs
on a private loop in a daemon thread; the cell's thread only waits on a queue of
messages and renders them, so it works the same whether or not the kernel's own loop
is busy (an ``await`` cell) or patched by another library.

The magic and every chat panel share one ``AzureAgentClient``: one token cache, one
connection pool, one conversation. Only a change of the options' connection part
(endpoint, credentials, TLS, proxy) builds a new client; the query and tool settings
(deployment, temperature, retries, tools, ...) go with each query.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Coroutine
from typing import Any, TypeVar

from ..client import AzureAgentClient
from ..options import AzureOpenAIOptions, ConnectionSettings
from ..sessions import SavedSession
from ..types import Message

T = TypeVar("T")


class Done:
    """End-of-stream marker put on a query's queue (``error`` set when it failed)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Runtime:
    """The kernel's loop thread and shared client."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: AzureAgentClient | None = None
        self._key: ConnectionSettings | None = None
        self._lock = threading.Lock()
        self._busy: asyncio.Lock | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def client(self) -> AzureAgentClient | None:
        """The shared client, if one was built (for status displays)."""
        return self._client

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or not self.running:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name="jupyter-azure-ai-loop", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the loop thread."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30) -> T:
        """Run ``coro`` on the loop thread and wait for its result."""
        return self.submit(coro).result(timeout)

    def client_for(self, options: AzureOpenAIOptions) -> AzureAgentClient:
        """The shared client, rebuilt (with a fresh conversation) only if the endpoint or
        credentials changed."""
        key = options.connection
        with self._lock:
            old = self._client
            if old is not None and key == self._key:
                return old  # per-query settings go with each query (converse)
            client = AzureAgentClient(options)
            self._client, self._key = client, key
        if old is not None:
            self.submit(old.disconnect())
        return client

    async def converse(
        self,
        client: AzureAgentClient,
        prompt: str | AsyncIterable[dict[str, Any]],
        options: AzureOpenAIOptions | None = None,
    ) -> AsyncIterator[Message]:
        """Answer ``prompt`` (a str, or a streaming-input message holding images) on the loop
        thread; one question at a time per kernel, so the magic and the chat panels never
        interleave turns of one conversation."""
        if self._busy is None:
            self._busy = asyncio.Lock()
        async with self._busy:
            if options is None:
                await client.query(prompt)
            else:
                await client.query(prompt, settings=options.settings, tools=options.tool_settings)
            async for message in client.receive_response():
                yield message

    def stream(
        self,
        client: AzureAgentClient,
        prompt: str | AsyncIterable[dict[str, Any]],
        options: AzureOpenAIOptions | None = None,
    ) -> tuple[queue.SimpleQueue[Message | Done], concurrent.futures.Future[None]]:
        """Start answering ``prompt``; messages arrive on the returned queue, then ``Done``."""
        out: queue.SimpleQueue[Message | Done] = queue.SimpleQueue()

        async def run() -> None:
            try:
                async for message in self.converse(client, prompt, options):
                    out.put(message)
            except BaseException as exc:
                out.put(Done(exc))
                raise
            out.put(Done())

        return out, self.submit(run())

    def resume(
        self, options: AzureOpenAIOptions, saved: SavedSession, *, fork: bool = False
    ) -> AzureAgentClient:
        """Carry on with ``saved`` in the shared client (its conversation is replaced, on
        the loop thread; ``fork``: under a new session id). ``RuntimeError`` while a
        question is being answered."""
        if self._busy is not None and self._busy.locked():
            raise RuntimeError("an answer is on its way: wait for it (or stop it), then resume")
        client = self.client_for(options)

        async def adopt() -> None:
            if self._busy is None:
                self._busy = asyncio.Lock()
            async with self._busy:
                client._resume_saved(saved, fork=fork)

        self.call(adopt())
        return client

    def interrupt(self, client: AzureAgentClient) -> None:
        self.submit(client.interrupt())

    def reset(self, client: AzureAgentClient) -> None:
        """Start a new conversation on ``client`` (on the loop thread, which owns it)."""

        async def reset() -> None:
            client.reset()

        self.call(reset())

    def stop(self) -> None:
        """Close the client and end the loop thread (``%unload_ext``)."""
        with self._lock:
            loop, thread, client = self._loop, self._thread, self._client
            self._loop = self._thread = self._client = None
            self._key = None
            self._busy = None
        if loop is None or thread is None:
            return
        if client is not None:
            with contextlib.suppress(Exception):  # best effort; the thread ends anyway
                asyncio.run_coroutine_threadsafe(client.disconnect(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()


_RUNTIME: Runtime | None = None


def get_runtime() -> Runtime:
    """The kernel's runtime (created on first use)."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime()
    return _RUNTIME


def stop_runtime() -> None:
    global _RUNTIME
    if _RUNTIME is not None:
        _RUNTIME.stop()
        _RUNTIME = None
