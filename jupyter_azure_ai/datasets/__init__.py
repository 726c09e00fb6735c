"""Small datasets for the example notebooks.

``product_reviews.csv``: 300 short product reviews (``review_id``, ``product``, ``stars``,
``review``), written for this project from a few dozen phrases and product names (no real
customer text) for notebooks/06-data-at-scale.ipynb. Licence: CC0 1.0 (public domain
dedication, https://creativecommons.org/publicdomain/zero/1.0/): use it for anything.
"""

from __future__ import annotations

import importlib
from importlib.resources import files
from typing import Any

__all__ = ["product_reviews"]


def product_reviews() -> Any:
    """The 300 product reviews as a pandas DataFrame indexed by ``review_id``."""
    pd = importlib.import_module("pandas")
    with files(__name__).joinpath("product_reviews.csv").open("rb") as f:
        return pd.read_csv(f, index_col="review_id")
