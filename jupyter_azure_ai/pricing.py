"""The built-in price table and the cost arithmetic behind ``total_cost_usd``.

Prices are USD per 1M tokens for Azure OpenAI *Global Standard* (pay-as-you-go)
deployments, as listed on the Azure OpenAI Service pricing page
(https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/) as of
``PRICES_AS_OF``. They change, and Data Zone / Regional deployments cost more (about
10 %); set ``AzureOpenAIOptions.pricing`` for the figures on your invoice. The Global
Batch API is billed at ``BATCH_DISCOUNT`` of these prices off.

A price is found by the model name the service *reports* in its answer (a deployment may
be called anything; the answer says ``gpt-4o-2024-11-20``): the longest table name that
equals it or is followed by ``-`` wins, so ``gpt-4o-mini-2024-07-18`` is gpt-4o-mini, not
gpt-4o, and ``gpt-4`` or ``gpt-4-turbo`` match nothing (unknown: the cost is None).
``pricing={deployment: {...}}`` wins over the table. Its ``input`` / ``output`` /
``cached_input`` are the pay-as-you-go prices, halved for the Batch API like the table's;
``batch_input`` / ``batch_output`` (/ ``batch_cached_input``) give the Batch prices from an
invoice as they are, so a batch deployment's own price is never halved twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PRICES_AS_OF = "2025-08-15"
PRICES_SOURCE = "https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/"
BATCH_DISCOUNT = 0.5
"""The Global Batch API's discount on the prices below (50 %)."""


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float
    batch_prices: tuple[float, float, float] | None = None
    """(input, cached_input, output) through the Batch API when known as such; None: the
    prices above less ``BATCH_DISCOUNT``."""

    @classmethod
    def from_mapping(cls, price: Mapping[str, float]) -> ModelPrice:
        """``{"input", "output"[, "cached_input"][, "batch_input", "batch_output"[,
        "batch_cached_input"]]}`` (the ``pricing`` option's shape)."""
        batch = None
        if "batch_input" in price:
            batch_in = float(price["batch_input"])
            batch = (batch_in, float(price.get("batch_cached_input", batch_in)),
                     float(price["batch_output"]))  # fmt: skip
        return cls(
            float(price["input"]),
            float(price.get("cached_input", price["input"])),
            float(price["output"]),
            batch,
        )

    def batch(self) -> ModelPrice:
        """The same model through the Global Batch API."""
        if self.batch_prices is not None:
            return ModelPrice(*self.batch_prices, batch_prices=self.batch_prices)
        keep = 1 - BATCH_DISCOUNT
        return ModelPrice(self.input * keep, self.cached_input * keep, self.output * keep)

    def cost(self, usage: Mapping[str, Any]) -> float:
        """USD for ``usage`` in the Claude SDK's words (``input_tokens``, ``output_tokens``,
        ``cache_read_input_tokens``; cached tokens are part of the input tokens)."""
        cached = int(usage.get("cache_read_input_tokens") or 0)
        fresh = int(usage.get("input_tokens") or 0) - cached
        output = int(usage.get("output_tokens") or 0)
        total = fresh * self.input + cached * self.cached_input + output * self.output
        return round(total / 1_000_000, 10)


PRICES: dict[str, ModelPrice] = {
    "gpt-4o": ModelPrice(2.50, 1.25, 10.00),
    "gpt-4o-mini": ModelPrice(0.15, 0.075, 0.60),
    "gpt-4.1": ModelPrice(2.00, 0.50, 8.00),
    "gpt-4.1-mini": ModelPrice(0.40, 0.10, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.025, 0.40),
    "o3-mini": ModelPrice(1.10, 0.55, 4.40),
    "o4-mini": ModelPrice(1.10, 0.275, 4.40),
    "gpt-5": ModelPrice(1.25, 0.125, 10.00),
    "gpt-5-mini": ModelPrice(0.25, 0.025, 2.00),
    "gpt-5-nano": ModelPrice(0.05, 0.005, 0.40),
}
"""Global Standard list prices as of ``PRICES_AS_OF`` (see the module docstring)."""


def lookup(model: str) -> ModelPrice | None:
    """The table's price for a reported model name, or None when it is not in the table."""
    name = model.strip().lower()
    best = ""
    for known in PRICES:
        if (name == known or name.startswith(known + "-")) and len(known) > len(best):
            best = known
    return PRICES[best] if best else None


def price_for(
    deployment: str,
    reported_model: str | None,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> ModelPrice | None:
    """``overrides[deployment]``, else the table's price for the reported model (or, when the
    service reported none, for the deployment name), else None."""
    override = (overrides or {}).get(deployment)
    if override is not None:
        return ModelPrice.from_mapping(override)
    return lookup(reported_model or deployment)


def cost_usd(
    usage: Mapping[str, Any],
    deployment: str,
    reported_model: str | None,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    *,
    batch: bool = False,
) -> float | None:
    """USD for ``usage``; None when no price is known for the model."""
    price = price_for(deployment, reported_model, overrides)
    if price is None:
        return None
    return (price.batch() if batch else price).cost(usage)


__all__ = [
    "BATCH_DISCOUNT",
    "PRICES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "ModelPrice",
    "cost_usd",
    "lookup",
    "price_for",
]
