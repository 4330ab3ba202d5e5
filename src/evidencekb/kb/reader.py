"""The problem collector every kb/ file is read through.

`KbReader` knows where kb/ is, how to name a file in a problem, and how to
read a TOML or text file from it; the checks shared by every table come from
`TableChecker`. The loader hands one reader to each file kind's module, so
every problem from every file ends up in one list.
"""

from __future__ import annotations

from pathlib import Path

from evidencekb.errors import Problem
from evidencekb.kb.tables import TableChecker
from evidencekb.kb.tomlfile import Located, read_toml


class KbReader(TableChecker):
    def __init__(self, kb_dir: Path) -> None:
        super().__init__()
        self.kb_dir = kb_dir

    def display(self, relative: str) -> str:
        """How a problem names the file at `relative` (a path inside kb/)."""
        return str(self.kb_dir / relative)

    def file_problem(self, relative: str, message: str) -> None:
        """Record a problem with a whole file or folder (line 1)."""
        self.problems.append(Problem(self.display(relative), 1, message))

    def exists(self, relative: str) -> bool:
        return (self.kb_dir / relative).is_file()

    def read(self, relative: str) -> Located | None:
        """A required TOML file, parsed; None (with a problem) when missing or broken."""
        if not self.exists(relative):
            self.file_problem(relative, "file is missing")
            return None
        return read_toml(self.kb_dir / relative, self.display(relative), self.problems)

    def text(self, relative: str) -> str:
        """An optional Markdown file's text; "" when there is none."""
        path = self.kb_dir / relative
        return path.read_text(encoding="utf-8") if path.is_file() else ""
