"""Built-in file tools (Read, Write, Edit, Glob, Grep), confined to the working directory.

Every path is resolved with symlinks followed (``os.path.realpath``) and must land
inside the real ``cwd`` (or one of the ``add_dirs`` the options name): an absolute path
elsewhere, ``..`` traversal and a symlink pointing out are refused with a tool error the
model can read. Glob and Grep skip entries that resolve outside. The names and parameters
are the Claude Code tools'. The ``Bash`` tool (bash_tool.py) is not confined like this.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigurationError
from ..tools import SdkTool, ToolError, tool

MAX_READ_BYTES = 512 * 1024
MAX_RESULTS = 200


class Confined:
    """Path rules for one working directory."""

    def __init__(self, cwd: str | Path, extra: Iterable[str | Path] = ()) -> None:
        self.root = Path(os.path.realpath(cwd))
        if not self.root.is_dir():
            raise ConfigurationError(f"cwd {str(cwd)!r} is not a directory")
        self.roots = [self.root]
        for folder in extra:  # add_dirs: further folders the tools may use
            real = Path(os.path.realpath(self.root / Path(folder)))
            if not real.is_dir():
                raise ConfigurationError(f"add_dirs: {str(folder)!r} is not a directory")
            self.roots.append(real)

    def resolve(self, raw: str) -> Path:
        """``raw`` (relative to cwd, or absolute) as a real path inside cwd, else ToolError."""
        if "\x00" in raw:
            raise ToolError(f"{raw!r} is not a valid path")
        given = Path(raw)
        real = Path(os.path.realpath(given if given.is_absolute() else self.root / given))
        if self.inside(real):
            return real
        if not given.is_absolute() and ".." not in given.parts:
            why = f"it resolves (through a symlink) to {real}"
        else:
            why = f"it is {real}"
        raise ToolError(
            f"refused: {raw!r} is outside the working directory {self.root} ({why});"
            " use a path inside it"
        )

    def inside(self, path: Path) -> bool:
        real = Path(os.path.realpath(path))
        return any(real == root or root in real.parents for root in self.roots)

    def show(self, path: Path) -> str:
        if path == self.root:
            return "."
        return str(path.relative_to(self.root)) if self.root in path.parents else str(path)

    def files(self, base: Path, pattern: str) -> list[Path]:
        """Files under ``base`` matching a glob ``pattern``, none resolving outside cwd."""
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ToolError(f"refused: glob pattern {pattern!r} must stay inside the working dir")
        found = []
        for path in sorted(base.glob(pattern)):
            if path.is_file() and self.inside(path):
                found.append(path)
        return found


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ToolError(f"{path.name}: no such file")
    if path.stat().st_size > MAX_READ_BYTES:
        raise ToolError(f"{path.name} is larger than {MAX_READ_BYTES // 1024} KiB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path.name} is not UTF-8 text") from None


def file_tools(
    cwd: str | Path, names: list[str], add_dirs: Iterable[str | Path] = ()
) -> list[SdkTool]:
    """The built-ins named in ``names`` (others are ignored), working in ``cwd`` (and the
    ``add_dirs`` folders, given absolute or relative to ``cwd``)."""
    box = Confined(cwd, add_dirs)

    @tool(name="Read")
    def read(file_path: str, offset: int = 1, limit: int = 2000) -> str:
        """Read a text file in the working directory, with line numbers.

        file_path: path relative to the working directory
        offset: first line to show (1-based)
        limit: maximum number of lines
        """
        lines = _read_text(box.resolve(file_path)).splitlines()
        start = max(offset, 1)
        shown = lines[start - 1 : start - 1 + max(limit, 0)]
        return "\n".join(f"{n:6}\t{line}" for n, line in enumerate(shown, start)) or "(empty)"

    @tool(name="Write")
    def write(file_path: str, content: str) -> str:
        """Create or overwrite a text file in the working directory.

        file_path: path relative to the working directory
        content: the whole new file content
        """
        path = box.resolve(file_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return f"wrote {len(content.encode())} bytes to {box.show(path)}"

    @tool(name="Edit")
    def edit(file_path: str, old_string: str, new_string: str, replace_all: bool = False) -> str:
        """Replace exact text in a file in the working directory.

        file_path: path relative to the working directory
        old_string: the text to replace (must be unique unless replace_all)
        new_string: the replacement
        replace_all: replace every occurrence
        """
        path = box.resolve(file_path)
        text = _read_text(path)
        count = text.count(old_string) if old_string else 0
        if count == 0:
            raise ToolError(f"old_string not found in {box.show(path)}")
        if count > 1 and not replace_all:
            raise ToolError(
                f"old_string occurs {count} times in {box.show(path)}:"
                " add context to make it unique, or set replace_all"
            )
        path.write_text(text.replace(old_string, new_string), encoding="utf-8")
        return f"replaced {count if replace_all else 1} occurrence(s) in {box.show(path)}"

    @tool(name="Glob")
    def glob(pattern: str, path: str = ".") -> str:
        """List files matching a glob pattern (e.g. "**/*.py") in the working directory.

        pattern: glob pattern, relative
        path: directory to search from, relative to the working directory
        """
        found = box.files(box.resolve(path), pattern)
        shown = [box.show(p) for p in found[:MAX_RESULTS]]
        more = f"\n… and {len(found) - MAX_RESULTS} more" if len(found) > MAX_RESULTS else ""
        return "\n".join(shown) + more if shown else "no files match"

    @tool(name="Grep")
    def grep(pattern: str, path: str = ".", glob: str = "**/*") -> str:
        """Search file contents with a regular expression in the working directory.

        pattern: Python regular expression
        path: file or directory to search, relative to the working directory
        glob: which files to search (glob pattern)
        """
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"invalid regular expression {pattern!r}: {exc}") from None
        base = box.resolve(path)
        candidates = [base] if base.is_file() else box.files(base, glob)
        hits = []
        for file in candidates:
            if file.stat().st_size > MAX_READ_BYTES:
                continue
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            name = box.show(file)
            hits += [f"{name}:{n}: {ln}" for n, ln in enumerate(lines, 1) if regex.search(ln)]
            if len(hits) >= MAX_RESULTS:
                break
        return "\n".join(hits[:MAX_RESULTS]) or "no matches"

    built = {"Read": read, "Write": write, "Edit": edit, "Glob": glob, "Grep": grep}
    return [built[n] for n in names if n in built]
