"""Failures in a notebook shown as one line: the layer that failed and how to fix it.

The magic and the chat panel both show errors this way (``%azure config debug=true``
shows the full traceback in the magic). The message may hold service text, so it is
printed through ``render.one_line``: escape sequences and newlines stay inert.
"""

from __future__ import annotations

from .. import errors
from ..templates import TemplateError
from .render import one_line


class MagicError(Exception):
    """A failure shown as one line (the layer that failed and how to fix it)."""

    def __init__(self, layer: str, message: str, hint: str = "") -> None:
        super().__init__(one_line(f"{layer}: {message}" + (f" — {hint}" if hint else "")))
        self.layer = layer

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback.
        return [f"\x1b[31m✗ {self}\x1b[0m"]


def describe(exc: BaseException) -> MagicError:
    """Name the failing layer and the fix for an SDK error."""
    msg = str(exc)
    if isinstance(exc, MagicError):
        return exc
    if isinstance(exc, errors.AuthenticationError):
        hint = "check AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST"
        return MagicError("token", msg, hint)
    if isinstance(exc, errors.UnauthorizedError):
        return MagicError("APIM", msg, "check AZURE_APIM_SUBSCRIPTION_KEY and the token scope")
    if isinstance(exc, errors.ModelNotFoundError):
        return MagicError("deployment", msg, "%azure config model=<your deployment name>")
    if isinstance(exc, errors.BatchAPIUnavailableError):
        return MagicError("APIM", msg)  # the message says what an administrator must add
    if isinstance(exc, errors.BatchValidationError):
        return MagicError("batch validation", msg, "fix those rows or the batch deployment")
    if isinstance(exc, errors.BatchQuotaError):
        return MagicError("batch quota", msg)
    if isinstance(exc, errors.ContentFilterError):
        return MagicError("content filter", msg, "rephrase the prompt")
    if isinstance(exc, errors.ContextWindowError):
        return MagicError("context window", msg)
    if isinstance(exc, errors.RateLimitError):
        wait = f"retry in {exc.retry_after:.0f} s" if exc.retry_after is not None else "retry later"
        return MagicError("rate limit", msg, wait)
    if isinstance(exc, errors.CLIConnectionError):
        return MagicError("network", msg, "check the endpoint URL, VPN and proxy settings")
    if isinstance(exc, TemplateError):
        return MagicError("cell", msg)
    if isinstance(exc, errors.ConfigurationError):
        return MagicError("config", msg, "%azure config shows the settings")
    return MagicError("service", msg)


#: What ``describe`` turns into one line; anything else is a bug and keeps its traceback.
SHOWN_AS_ONE_LINE = (errors.AzureOpenAIError, TemplateError)

__all__ = ["SHOWN_AS_ONE_LINE", "MagicError", "describe"]
