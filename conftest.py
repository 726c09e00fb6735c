"""pytest's hooks for the whole repository: only the notebook checks' plugin.

nbval collects notebooks/*.ipynb, outside tests/, and a conftest.py applies only to its
own folder: this one, at the root, loads ``tests/notebooks/plugin.py`` for both.
"""

pytest_plugins = ["tests.notebooks.plugin"]
