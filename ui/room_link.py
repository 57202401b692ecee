"""A widget's subscription to the Room that cannot outlive the widget.

``Room.subscribe`` has no unsubscribe, and a listener that raises would break the Room command
that recorded the event (a nurse's press, a device report). A widget that was closed, or whose
Qt object is already deleted, must therefore simply stop listening: :func:`listen` wraps the
listener so that it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtGui import QCloseEvent

from roomctl.room import Room
from roomctl.timeline.events import Event


class Stoppable:
    """Mixin for a live widget (put it before the Qt class): :meth:`stop` ends its timers and
    its Room subscription for good.

    Closing the widget stops it. Qt sends no close event to a child when its window closes, so
    an owner that tears a widget down without closing it calls :meth:`stop` (the timers, being
    the widget's children, die with it anyway).
    """

    stopped = False

    def stop(self) -> None:
        self.stopped = True

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        parent: Any = super()
        parent.closeEvent(event)


def listen(room: Room, widget: Stoppable, listener: Callable[[Event], None]) -> None:
    """``listener(event)`` for every recorded event while ``widget`` is alive and not stopped."""

    def guarded(event: Event) -> None:
        if not widget.stopped and shiboken6.isValid(widget):
            listener(event)

    room.subscribe(guarded)
