"""The built-in price table: matched on the reported model name, overridable, dated."""

from __future__ import annotations

import pytest

from jupyter_azure_ai import pricing
from jupyter_azure_ai.pricing import PRICES, cost_usd, lookup


@pytest.mark.parametrize(
    ("reported", "known"),
    [
        ("gpt-4o-2024-11-20", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),  # not gpt-4o: the longest name wins
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("o4-mini-2025-04-16", "o4-mini"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("GPT-5-nano", "gpt-5-nano"),
    ],
)
def test_reported_names_find_their_model(reported: str, known: str) -> None:
    assert lookup(reported) is PRICES[known]


@pytest.mark.parametrize("reported", ["gpt-4", "gpt-4-turbo-2024-04-09", "gpt-35-turbo", "gpt-4o1"])
def test_unknown_models_have_no_price(reported: str) -> None:
    assert lookup(reported) is None
    assert cost_usd({"input_tokens": 10, "output_tokens": 10}, "dep", reported) is None


def test_cost_counts_cached_input_at_its_own_price_and_batch_at_half() -> None:
    usage = {
        "input_tokens": 1_000_000,
        "cache_read_input_tokens": 400_000,
        "output_tokens": 100_000,
    }
    # gpt-4o: 0.6M fresh x 2.50 + 0.4M cached x 1.25 + 0.1M out x 10.00
    assert cost_usd(usage, "my-deployment", "gpt-4o-2024-11-20") == pytest.approx(1.5 + 0.5 + 1.0)
    batch = cost_usd(usage, "my-deployment", "gpt-4o-2024-11-20", batch=True)
    assert batch == pytest.approx(1.5) and pricing.BATCH_DISCOUNT == 0.5


def test_pricing_option_wins_per_deployment() -> None:
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    overrides = {"prod": {"input": 3.0, "output": 12.0}}
    assert cost_usd(usage, "prod", "gpt-4o-2024-11-20", overrides) == pytest.approx(3.0)
    assert cost_usd(usage, "other", "gpt-4o-2024-11-20", overrides) == pytest.approx(2.5)
    assert cost_usd(usage, "prod", "gpt-4", overrides) == pytest.approx(3.0)  # unknown model


def test_an_invoice_batch_price_is_taken_as_is_not_halved_again() -> None:
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}
    standard_only = {"gpt-4o-batch": {"input": 2.0, "output": 8.0}}
    assert cost_usd(usage, "gpt-4o-batch", None, standard_only, batch=True) == pytest.approx(5.0)
    invoiced = {"gpt-4o-batch": {"input": 2.0, "output": 8.0,
                                 "batch_input": 1.1, "batch_output": 4.4}}  # fmt: skip
    assert cost_usd(usage, "gpt-4o-batch", None, invoiced, batch=True) == pytest.approx(5.5)
    assert cost_usd(usage, "gpt-4o-batch", None, invoiced) == pytest.approx(10.0)


@pytest.mark.parametrize(
    "price",
    [
        {"input": 1.0, "output": 2.0, "batch_input": 0.5},  # batch_output missing
        {"input": 1.0, "output": 2.0, "inptu": 0.5},  # a typo is not ignored
        {"input": 1.0, "output": 2.0, "batch_cached_input": 0.1},
    ],
)
def test_pricing_keys_are_checked(price: dict[str, float]) -> None:
    from jupyter_azure_ai import ConfigurationError

    from .fakes import options

    with pytest.raises(ConfigurationError, match="batch_input' and 'batch_output'"):
        options(pricing={"dep": price})


def test_without_a_reported_model_the_deployment_name_is_tried() -> None:
    assert cost_usd({"input_tokens": 1_000_000}, "gpt-4o-mini", None) == pytest.approx(0.15)


def test_the_table_says_when_and_where_from() -> None:
    assert pricing.PRICES_AS_OF in (pricing.__doc__ or "") or "PRICES_AS_OF" in (
        pricing.__doc__ or ""
    )
    assert pricing.PRICES_SOURCE.startswith("https://azure.microsoft.com/")
    year, month, day = (int(x) for x in pricing.PRICES_AS_OF.split("-"))
    assert year >= 2025 and 1 <= month <= 12 and 1 <= day <= 31
