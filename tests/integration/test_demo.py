"""`jupyter-azure-ai demo`: JupyterLab on a copy of the notebooks, pointed at an emulator.

No real JupyterLab starts here: `--dry-run` copies the notebooks and shows what would run,
and `demo.run` is exercised with a small Python child in JupyterLab's place. Every run
happens in a temporary folder (the demo copies into the folder it runs in). The same
checks from an installed wheel, outside the clone: .ci/wheel-smoke.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jupyter_azure_ai import demo
from jupyter_azure_ai.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
SCRIPT = Path(sys.executable).parent / "jupyter-azure-ai"
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "jupyter_azure_ai.cli"]


def _demo(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environ = {k: v for k, v in environ.items() if not k.startswith("AZURE_")}
    return subprocess.run(
        [*CLI, "demo", *args],
        capture_output=True,
        text=True,
        env={**environ, **env},
        cwd=cwd,
        timeout=60,
    )


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in stdout.splitlines() if ":" in line)


def test_demo_help(tmp_path: Path) -> None:
    out = _demo("--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for flag in ("--no-browser", "--dry-run", "--port", "--dir"):
        assert flag in out.stdout
    assert "JupyterLab" in out.stdout


def test_other_commands_still_listed() -> None:
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "emulator" in out.stdout and "ask" in out.stdout and "demo" in out.stdout


def test_dry_run_prints_command_and_variable_names(emulator: Emulator, tmp_path: Path) -> None:
    out = _demo("--dry-run", "--no-browser", "--port", "18888", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    fields = _fields(out.stdout)
    command = fields["command"].split()
    assert Path(command[0]).name.startswith("python") and command[1:3] == ["-m", "jupyterlab"]
    examples = tmp_path / "jupyter-azure-ai-examples"
    assert fields["notebooks"].strip() == str(examples)
    assert command[-1] == str(examples / "01-quickstart.ipynb")
    assert f"--ServerApp.root_dir={examples}" in command
    assert "--no-browser" in command and "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=18888" in command
    names = fields["variables"].split()
    assert names == [*emulator.env(), "JUPYTER_TOKEN"]  # the demo's list matches the emulator's
    assert urlsplit(fields["url"].strip()).hostname == "127.0.0.1"
    # names only: no value of this (or any) emulator, nothing started
    assert emulator.client_secret not in out.stdout and "=" not in fields["variables"]
    assert "https://" not in out.stdout


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11/Wayland display check")
def test_browser_opens_only_with_a_display(tmp_path: Path) -> None:
    def command(*args: str, **env: str) -> list[str]:
        return _fields(_demo("--dry-run", *args, cwd=tmp_path, **env).stdout)["command"].split()

    assert "--no-browser" in command()
    assert "--no-browser" not in command(DISPLAY=":0")
    assert "--no-browser" in command("--no-browser", DISPLAY=":0")


def test_the_examples_are_copied_into_the_current_folder(tmp_path: Path) -> None:
    before = {name: (REPO / "notebooks" / name).read_bytes() for name in SHIPPED}
    out = _demo("--dry-run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    examples = tmp_path / "jupyter-azure-ai-examples"
    assert sorted(p.name for p in examples.iterdir()) == SHIPPED
    for name in SHIPPED:  # byte for byte, and the clone's notebooks are left as they were
        assert (examples / name).read_bytes() == before[name]
        assert (REPO / "notebooks" / name).read_bytes() == before[name]
    copied = _fields(out.stdout)["copied"]
    assert copied.split()[: len(SHIPPED)] == SHIPPED
    assert copied.endswith(f"(from {REPO / 'notebooks'})")  # a clone: its own notebooks/
    assert "kept" not in _fields(out.stdout)


def test_a_second_run_copies_only_what_is_missing_and_keeps_edits(tmp_path: Path) -> None:
    examples = tmp_path / "mine"
    assert _demo("--dry-run", "--dir", str(examples), cwd=tmp_path).returncode == 0
    edited, deleted, *_ = SHIPPED
    (examples / edited).write_text("my edits", encoding="utf-8")
    (examples / deleted).unlink()
    out = _demo("--dry-run", "--dir", "mine", cwd=tmp_path)  # relative to where it runs
    assert out.returncode == 0, out.stderr
    fields = _fields(out.stdout)
    assert fields["notebooks"].strip() == str(examples)
    assert fields["copied"].split()[0] == deleted and "ipynb" not in fields["copied"].split()[1]
    assert fields["kept"].split()[0] == edited and "differ" in fields["kept"]
    assert (examples / edited).read_text(encoding="utf-8") == "my edits"
    assert (examples / deleted).read_bytes() == (REPO / "notebooks" / deleted).read_bytes()
    again = _fields(_demo("--dry-run", "--dir", "mine", cwd=tmp_path).stdout)
    assert "copied" not in again and again["kept"].split()[0] == edited


def test_never_copies_into_the_package(tmp_path: Path) -> None:
    inside = Path(demo.__file__).resolve().parent / "notebooks"
    out = _demo("--dry-run", "--dir", str(inside), cwd=tmp_path)
    assert out.returncode == 1 and not inside.exists()
    assert out.stderr.startswith("error: ") and "inside the installed package" in out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    out = _demo("--dry-run", "--dir", str(tmp_path / "a-file" / "examples"), cwd=tmp_path)
    assert out.returncode == 1 and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith("error: cannot copy the example notebooks into")
    assert "--dir" in out.stderr and "Traceback" not in out.stderr


def test_where_the_notebooks_are_found(tmp_path: Path) -> None:
    # a wheel: inside the package
    wheel = tmp_path / "site-packages" / "jupyter_azure_ai"
    (wheel / "notebooks").mkdir(parents=True)
    (wheel / "notebooks" / "01-quickstart.ipynb").write_text("{}")
    assert demo.shipped_notebooks(wheel) == wheel / "notebooks"
    # a clone (editable install): beside the package, next to pyproject.toml
    clone = tmp_path / "clone"
    (clone / "jupyter_azure_ai").mkdir(parents=True)
    (clone / "notebooks").mkdir()
    (clone / "notebooks" / "01-quickstart.ipynb").write_text("{}")
    (clone / "pyproject.toml").write_text("")
    assert demo.shipped_notebooks(clone / "jupyter_azure_ai") == clone / "notebooks"
    # without pyproject.toml it is no clone, and a wheel without notebooks: one clear line
    (clone / "pyproject.toml").unlink()
    with pytest.raises(demo.DemoError, match=r"^the example notebooks are missing from this"):
        demo.shipped_notebooks(clone / "jupyter_azure_ai")


def test_run_gives_the_child_the_emulator_and_stops_it_after(
    capfd: pytest.CaptureFixture[str],
) -> None:
    child = (
        "import os\n"
        "assert os.environ['JUPYTER_TOKEN'] == 't0k'\n"
        "assert os.path.isfile(os.environ['SSL_CERT_FILE'])\n"
        "assert os.environ['AZURE_CLIENT_SECRET']\n"
        "print('endpoint', os.environ['AZURE_APIM_ENDPOINT'])\n"
        "raise SystemExit(3)\n"
    )
    code = demo.run([sys.executable, "-c", child], {"JUPYTER_TOKEN": "t0k"}, REPO)
    out = capfd.readouterr().out
    assert code == 3  # JupyterLab's exit code is the demo's
    endpoint = next(line.split()[1] for line in out.splitlines() if line.startswith("endpoint"))
    url = urlsplit(endpoint)
    assert url.scheme == "https" and url.hostname == "127.0.0.1"
    assert url.port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", url.port), timeout=2):
        pass  # the emulator stopped with the child
