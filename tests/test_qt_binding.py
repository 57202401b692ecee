"""The Qt binding must not leak references to None.

PySide6-Essentials 6.12.0 on Python 3.11 drops one reference to None on every call of a
void method (QTimer.stop, QObject.setObjectName ...); a console ticking four times a second
aborted the process with "Fatal Python error: none_dealloc" within minutes. pyproject pins
below 6.12 (docs/decisions/0003); this test fails if a broken binding is installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer


def test_void_qt_calls_leave_none_alone() -> None:
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    assert app is not None
    timer = QTimer()
    thing = QObject()
    before = sys.getrefcount(None)
    for _ in range(200):
        timer.start(1000)
        timer.stop()
        thing.setObjectName("probe")
    assert sys.getrefcount(None) >= before - 10
