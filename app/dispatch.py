"""Getting work from any thread onto the Qt thread that owns the Room.

Device readers, the store writer and libvlc's callbacks run on their own threads; the Room must
only be touched from one. A QObject living in the GUI thread with a signal carrying a callable
gives exactly that: emitting from another thread queues the call on the GUI thread's loop.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class QtDispatcher(QObject):
    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on this object's thread, soon; safe to call from any thread."""
        self._call.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()
