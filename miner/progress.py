"""Progress hooks for the CLI: a rich progress bar per batch (on stderr, only on a terminal)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RichHooks:
    """Implements the cycle's hooks (start / advance / generation_done) with a rich progress bar."""

    def __init__(self, enabled: bool | None = None):
        console = Console(stderr=True)
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = Progress(
            TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"), console=console, disable=not self._enabled, transient=False,
        )
        self._task = None
        self._best = ""

    def __enter__(self) -> "RichHooks":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, description: str, total: int) -> None:
        self._task = self._progress.add_task(description, total=total, best=self._best)

    def advance(self, done: int = 1, total: int | None = None) -> None:
        """Executor progress callback: ``(done, total)`` completed so far in this batch."""
        if self._task is None:
            return
        if total is None:
            self._progress.advance(self._task, done)
        else:
            self._progress.update(self._task, completed=done, total=total)

    def generation_done(self, generation: int, best: float | None) -> None:
        if best is not None:
            self._best = f"best score {best:.2f}"
        if self._task is not None:
            self._progress.update(self._task, best=self._best)
