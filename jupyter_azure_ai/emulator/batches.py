"""The Batch API of the emulator: ``/files`` and ``/batches`` behind the same APIM gate.

Wire shapes follow azure-wire-2.md §1–§2; whatever the doc marks UNCONFIRMED is emulated
in one plausible form and named so below. State lives in memory (``BatchApi`` on the
emulator state); ``Emulator.reset()`` forgets every file and batch.

Routes (each needs ``Ocp-Apim-Subscription-Key`` and an Entra bearer token, checked and
refused exactly as chat does: 401 missing/invalid key, 401 ``Invalid JWT.``)::

    classic (?api-version= required; before 2024-07-01-preview → 404 Resource not found)
    POST   /openai/files                     multipart: purpose=batch, file=@x.jsonl
    GET    /openai/files[?purpose=batch]     {"object":"list","data":[...]}
    GET    /openai/files/{id}
    GET    /openai/files/{id}/content        application/octet-stream, the raw JSONL
    DELETE /openai/files/{id}                {"object":"file","deleted":true,"id":...}
    POST   /openai/batches                   {"input_file_id","endpoint","completion_window":"24h"}
    GET    /openai/batches[?limit=&after=]   newest first, {"data","first_id","last_id","has_more"}
    GET    /openai/batches/{id}
    POST   /openai/batches/{id}/cancel
    v1 (no api-version): the same under /openai/v1/files and /openai/v1/batches.

Files: an upload answers **201** with ``Location`` and ``status: "pending"`` on the classic
path (``processed`` one phase later; ``error`` with ``status_details`` saying "valid json" if
a line is not JSON), **200** and ``processed`` at once on v1. Purposes: fine-tune,
fine-tune-results, assistants, assistants_output, batch. 400 (authoring error body
``{"error":{"code":"invalidPayload",...}}``) for a missing file part, a bad purpose, a file over
200 MB, or an ``expires_after`` outside 1209600–2592000 s (``expires_after[seconds]`` and
``expires_after.seconds`` are both accepted); 400 ``quotaExceeded`` past 500 batch files (10,000
with expiry). Unknown ids: 404 ``{"error":{"code":"notFound",...}}``.

Time scale: a batch moves through its phases by the clock, evaluated when it is read (no
background task). Each phase lasts ``batch_phase_s`` seconds: validating (1 phase) →
in_progress (2 phases; ``request_counts`` grow row by row) → finalizing (1 phase) →
completed, so a job takes ``4 × batch_phase_s``; cancelling lasts 1 phase. Default 0.25 s
(a whole lifecycle in 1 s). Set it with ``start_emulator(batch_phase_s=...)`` /
``Emulator(batch_phase_s=...)``, on a running emulator with ``emu.batch_phase_s = 2.0``
(``reset()`` restores the start value), with the environment variable
``JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S``, or ``python -m jupyter_azure_ai.emulator
--batch-phase-s 5``.

Answers: each line's ``body`` is answered by the chat logic (``scenarios.plan_reply``,
``structured`` for ``response_format``, usage, content-filter annotations), as the
deployment without its ``-batch`` suffix would answer it, so ``gpt-4-batch`` answers exactly
what ``gpt-4`` answers to ``map_rows``. Output lines are ``{"custom_id", "response":
{"body", "request_id", "status_code": 200}, "error": null}`` in a **shuffled** order (Azure
does not keep input order: match on ``custom_id``). A completed job always has an error
file; with no failures it is empty (0 bytes), as the docs say.

Global-Batch deployments: any name ending in ``-batch`` (``gpt-4-batch``, ``gpt-4o-mini-batch``)
and the ``fault-batch-*`` names below. A Standard deployment (``gpt-4``, ``gpt-4o``, … of
scenarios.DEPLOYMENTS) fails validation with ``invalid_request`` (SKU not ``globalbatch``);
any other name with ``model_not_found``.

Validation failures need no trigger, only the bad input (validating → failed, errors in
``errors.data[]`` as ``{"code","message","param","line"}``, ``line`` 1-based, at most 100
entries; ``request_counts`` reads ``{"total": N, "completed": null, "failed": null}``):

    invalid_json_line    a line that is not JSON
    invalid_request      a line without custom_id/method/url/body, a Standard deployment,
                         a url other than (/v1)/chat/completions, completion_window != "24h"
                         (line null, param "completion_window"), a UTF-8 BOM ("A valid model
                         deployment name couldn't be extracted from the input file.")
    url_mismatch         a url differing from line 1's
    model_mismatch       a body.model differing from line 1's (mixed models)
    model_not_found      an unknown deployment
    duplicate_custom_id  a custom_id seen before
    empty_file           no lines
    too_many_tasks       more than 100,000 lines

Faults on demand, by the deployment name of the lines (``"model": "fault-batch-<name>"``;
combine with ``+``: ``fault-batch-partial+iso-times``), or by the create body's
``"metadata": {"emulator-fault": "<name>[+<name>...]"}`` with any Global-Batch deployment.
``<name>*<n>`` applies to the first n creates carrying it since ``reset()``:

    partial             lines 3, 6, 9, … fail: error-file lines {"custom_id", "response":
                        {"status_code": 500, "request_id", "body": {"error": {...}}},
                        "error": null}; request_counts.failed counts them
    stall               in_progress stops at half the rows (floor(n/2)) until cancelled:
                        cancel then gives cancelling → cancelled with exactly those rows in
                        the output file (rows never run are in no file)
    expired             half the rows run, then status "expired" (expired_at set); the rest
                        are error-file lines {"custom_id", "response": null, "error":
                        {"code": "batch_expired", "message": ...}}
    token-limit         validating → failed, errors.data = [{"code": "token_limit_exceeded",
                        "message": "The number of enqueued tokens has surpassed the
                        configured limit ...", "line": null, "param": null}] (as seen live)
    token-limit-create  fail-fast: the create itself answers 400 {"error": {"code":
                        "token_limit_exceeded", "message": "... token_limit_exceeded ..."}}
                        (body UNCONFIRMED); with *n the (n+1)-th create is accepted
    capital-status      status as "Validating", "InProgress", "Finalizing", "Completed",
                        "Failed", "Cancelling", "Cancelled", "Expired"
    iso-times           every *_at of the batch as an ISO-8601 string
                        ("2024-07-19T17:13:57.2491382+00:00", 7 fractional digits) or null
    empty-ids           "" instead of null for absent output_file_id / error_file_id, and
                        "endpoint": null (the v1 Python sample)

One row can fail on its own: a row whose messages contain ``[emulator-fault:<chat fault>]``
(the chat marker) is answered as chat would answer it: a status fault (500, 502, 503, 504,
408, 429, 429-ms, 429-date, quota, content-filter) becomes an error-file line with that
status and body; refusal / invalid-json / schema-mismatch / content-filter-completion
become 200 lines with that defect.

Cancel: validating or in_progress → cancelling (1 phase) → cancelled; cancelling or
cancelled again returns the object; a finished job gets 409 ``{"error":{"code":"conflict"}}``.

Gateway without the Batch API: the endpoint ``emu.no_batch_api_endpoint``
(``{url}/no-batch-api/openai``) serves chat (classic and v1) like ``/openai``, but its
``/files*`` and ``/batches*`` answer APIM's ``404 {"statusCode":404,"message":"Resource
not found"}`` (the body is UNCONFIRMED), as an APIM API imported from the inference spec
does.
"""

from __future__ import annotations
