"""map_rows without pandas: one clear error before any request is sent."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules["pandas"] = None  # as if pandas were not installed
from jupyter_azure_ai import AzureOpenAIOptions, ConfigurationError, map_rows
options = AzureOpenAIOptions(tenant_id="t", client_id="c", client_secret="s",
                             endpoint="https://127.0.0.1:9/openai", apim_subscription_key="k")
try:
    map_rows(["a", "b"], "Say {value}", options, progress=False)
except ConfigurationError as exc:
    print("ConfigurationError:", exc)
"""


def test_map_rows_names_the_missing_package_before_sending() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ConfigurationError: map_rows returns pandas objects"), out
    assert "pip install pandas" in out.stdout
