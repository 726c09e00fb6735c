"""``%%azure --over NAME --batch-api`` and ``%azure batch ...``: the Batch API in a notebook.

The cell form submits the rows (``submit_batch``) and follows the jobs in one display,
updated when the status changes and at most every ``STATUS_INTERVAL_S``; when every job
is final the results land in ``_azure`` and ``--out`` (the same shape ``--over`` gives)
with a summary line. Ctrl-C while following *detaches*: the jobs keep running on Azure
and a line says how to come back (``%azure batch results ID --out NAME``).

The line commands::

    %azure batch list                      the jobs of the local record, newest first
    %azure batch status ID                 counts per state (asks the service)
    %azure batch results ID [--out NAME]   the results, into _azure (and NAME)
    %azure batch cancel ID                 cancel (answered rows are still returned)

``ID`` is a job's id as ``BatchJob.id`` shows it (any job of a split submission works).
Every piece of outside text shown goes through ``render.py``.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from IPython.core.error import UsageError

from ..options import AzureOpenAIOptions
from . import render

STATUS_INTERVAL_S = 1.0
USAGE = "%azure batch list | status ID | results ID [--out NAME] | cancel ID"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-api",
        action="store_true",
        help="with --over: run the rows through the Azure OpenAI Batch API (half price, < 24 h)",
    )


def _show(text: str, display_id: str | None = None, update: bool = False) -> None:
    from IPython.display import display

    data = {"text/html": render.footer_html(text), "text/plain": render.one_line(text)}
    if display_id is None:
        display(data, raw=True)
    else:
        display(data, raw=True, display_id=display_id, update=update)


class StatusLine:
    """One display showing the jobs' status: updated when it changes, at most every
    ``STATUS_INTERVAL_S`` (``force``: now, for the final status)."""

    def __init__(self, job: Any) -> None:
        import uuid

        self.job = job
        self.id = uuid.uuid4().hex[:16]
        self.shown = ""
        self.at = 0.0
        self.started = time.monotonic()
        self.updates = 0

    def text(self, status: Any) -> str:
        waited = time.monotonic() - self.started
        return f"batch {self.job.id} on {self.job.deployment}: {status} · {waited:.0f} s"

    def __call__(self, status: Any, force: bool = False) -> None:
        text = self.text(status)
        now = time.monotonic()
        changed = text.split(" · ")[:-1] != self.shown.split(" · ")[:-1]
        if not changed or (not force and now - self.at < STATUS_INTERVAL_S):
            return
        _show(text, self.id, update=bool(self.shown))
        self.shown, self.at = text, now
        self.updates += 1


def run_batch(shell: Any, args: argparse.Namespace, parsed: Any, data: Any, output_format: Any,
              options: AzureOpenAIOptions) -> None:  # fmt: skip
    """Submit, follow in one display, store the results (or detach on Ctrl-C)."""
    from ..batch import submit_batch

    job = submit_batch(data, parsed, options, output_format=output_format)
    _follow_and_store(shell, job, args.out)


def _follow_and_store(shell: Any, job: Any, out: str | None) -> None:
    line = StatusLine(job)
    try:
        status = job.follow(line)
    except KeyboardInterrupt:
        _show(f"{job.detached_note()} · %azure batch results {job.id} --out NAME")
        if shell is not None:
            shell.user_ns["_azure_batch"] = job
        return
    line(status, force=True)
    _store(shell, job.results(), out)


def _store(shell: Any, result: Any, out: str | None) -> None:
    from .over import _first_error, _show_summary

    _show_summary(result.attrs["azure_batch"].summary(), _first_error(result))
    if shell is not None:
        shell.user_ns["_azure"] = result
        if out:
            shell.user_ns[out] = result


def _parser() -> argparse.ArgumentParser:
    from .magics import _CellParser

    parser = _CellParser(prog="%azure batch", add_help=False, usage=USAGE)
    parser.add_argument("command", choices=["list", "status", "results", "cancel"])
    parser.add_argument("id", nargs="?")
    parser.add_argument("--out", metavar="NAME")
    return parser


def run_line(shell: Any, options: AzureOpenAIOptions, words: list[str]) -> None:
    """``%azure batch <command> ...``."""
    from ..batch import BatchJob

    args = _parser().parse_args(words)
    if args.out is not None and not args.out.isidentifier():
        raise UsageError(f"--out needs a Python name, got {args.out!r}")
    if args.command == "list":
        _list(options)
        return
    if not args.id:
        raise UsageError(f"%azure batch {args.command} needs a batch id\n{USAGE}")
    job = BatchJob.attach(args.id, options)
    if args.command == "status":
        _show(f"batch {job.id} on {job.deployment}: {job.status()}")
    elif args.command == "cancel":
        _show(f"batch {job.id}: cancel requested · {job.cancel()}")
    else:
        _store(shell, job.results(), args.out)


def _list(options: AzureOpenAIOptions) -> None:
    from IPython.display import display

    from ..batch import list_batches
    from ..batch.objects import TERMINAL

    jobs = list_batches(options)
    if not jobs:
        _show("no batch jobs in the local record for this endpoint")
        return
    columns = ["id", "submitted", "rows", "jobs", "deployment", "status", "template"]
    rows = []
    for job in jobs:
        seen = job.last_status
        if all(state in TERMINAL for state in seen):  # final: no request
            status = ", ".join(f"{n} {state}" for state, n in seen.items())
        else:
            try:
                status = str(job.status())
            except Exception as exc:  # one job's failure must not hide the list
                status = f"unknown ({type(exc).__name__}: {exc})"
        when = datetime.fromtimestamp(job.created_at).strftime("%Y-%m-%d %H:%M")
        rows.append([job.id, when, f"{job.rows:,}", str(len(job.ids)), job.deployment, status,
                     job._record.template])  # fmt: skip
    display(
        {
            "text/html": render.table_html(columns, rows),
            "text/plain": render.table_plain(columns, rows),
        },
        raw=True,
    )
