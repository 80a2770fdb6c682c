"""Progress bars for long stages (rich), silent when output is not a terminal."""
from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """Yields advance(done, total); shows a bar only on a terminal and for > 1 item."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as progress:
        task = None

        def advance(done: int, total: int) -> None:
            nonlocal task
            if total < 2:
                return
            if task is None:
                task = progress.add_task(label, total=total)
            progress.update(task, completed=done)

        yield advance
