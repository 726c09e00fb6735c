"""The Azure OpenAI Batch API: the same template and result as ``map_rows``, run by Azure.

``submit_batch(data, template)`` → ``BatchJob`` → ``wait()`` → ``results()``: half the
price of the same requests, within 24 hours, on Azure's own fleet instead of the kernel.

- ``jsonl.py``    the input file, built as a stream and split past 100,000 lines / 200 MB
- ``service.py``  the Files and Batch calls through the chat transport
- ``objects.py``  batch and file objects read tolerantly (the docs' variants)
- ``results.py``  output and error lines back into rows
- ``record.py``   the local record of submitted jobs (for attach after a restart)
- ``job.py``      ``submit_batch``, ``BatchJob``, ``list_batches``
"""

from __future__ import annotations

from .job import BatchJob, BatchLimits, BatchStatus, list_batches, submit_batch
from .results import BatchStats

__all__ = ["BatchJob", "BatchLimits", "BatchStats", "BatchStatus", "list_batches", "submit_batch"]
