"""A progress bar on standard error for commands that can take more than a second (import,
reindex, verify, export, doctor). Shown only when standard error is a terminal: a pipe, a file
or a test runner gets nothing. rich (already a dependency) draws it, imported only when shown."""


import sys
from typing import Any

from .common import is_terminal


class Bar:
    """``with Bar("verifying", total=n) as bar: ... bar.advance()``. ``total`` None: a count and
    a rate without an end. Transient: the bar is removed when done, the command's own lines stay."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = True, stream: Any = None):
        self.label = label
        self.total = total
        self.count = 0
        self._progress = None
        self._task = None
        self._shown = enabled and is_terminal(stream or sys.stderr)

    def __enter__(self) -> "Bar":
        if self._shown:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            columns: list[Any] = [TextColumn(self.label), BarColumn(), MofNCompleteColumn()]
            if self.total is not None:
                columns += [TaskProgressColumn(), TextColumn("ETA"), TimeRemainingColumn()]
            else:
                columns += [TimeElapsedColumn()]
            # standard output is never redirected: it carries the command's data (an export to a pipe)
            self._progress = Progress(*columns, transient=True, console=Console(stderr=True), redirect_stdout=False)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self._progress is not None:
            self._progress.update(self._task, advance=n)

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @property
    def shown(self) -> bool:
        return self._shown
