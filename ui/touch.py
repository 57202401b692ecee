"""Controls sized and shaped for gloved hands."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QCheckBox, QWidget

#: The smallest touch target (issue 6: ≥ 48 px).
TOUCH_PX = 48


class TouchCheckBox(QCheckBox):
    """A checklist item that toggles wherever its row is pressed, not only on the box and the
    text: a gloved finger lands anywhere on a 48 px row, and a stretched checkbox's blank
    right half would otherwise swallow the tap."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setMinimumHeight(TOUCH_PX)

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)
