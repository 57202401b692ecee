"""The dark-room look: near-black surfaces, warm dim text, no pure white anywhere near the
patient, large targets for gloved hands. Alarm colours are reserved for alarms."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

BACKGROUND = "#101214"
SURFACE = "#1a1d21"
TEXT = "#d9cbb0"
MUTED = "#8a8172"
ACCENT = "#c8903a"
OK = "#6f9b6a"
WARNING = "#c9a227"
DANGER = "#b8433a"

#: Only top-level windows paint the background; every container in between is transparent.
#: A blanket ``QWidget { background }`` made each of the ~8 nested containers refill the
#: dirty region of every repaint (the pleth, a tile): 8x the pixels, most of the live console's
#: CPU in software rendering (bench_live_room).
STYLE_SHEET = f"""
QWidget {{
    color: {TEXT};
    font-family: "DejaVu Sans";
    font-size: 15px;
}}
QMainWindow, QDialog, QMenu, QToolTip {{ background: {BACKGROUND}; }}
QAbstractScrollArea, QAbstractScrollArea > QWidget {{ background: transparent; border: none; }}
QComboBox QAbstractItemView {{ background: {SURFACE}; }}
QScrollBar {{ background: {BACKGROUND}; border: none; }}
QScrollBar:vertical {{ width: 14px; }}
QScrollBar:horizontal {{ height: 14px; }}
QScrollBar::handle {{ background: #343a42; border-radius: 5px; margin: 2px; }}
QScrollBar::handle:vertical {{ min-height: 48px; }}
QScrollBar::handle:horizontal {{ min-width: 48px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QTabWidget::pane {{ border: none; border-top: 1px solid #262a30; background: transparent; }}
QTabBar::tab {{
    background: {BACKGROUND}; color: {MUTED}; border: 1px solid #262a30; border-bottom: none;
    border-top-left-radius: 6px; border-top-right-radius: 6px;
    min-height: 40px; min-width: 110px; padding: 0 16px; font-size: 16px;
}}
QTabBar::tab:selected {{ background: {SURFACE}; color: {TEXT}; border-color: #343a42; }}
QLabel {{ background: transparent; }}
QFrame#card {{
    background: {SURFACE};
    border-radius: 10px;
}}
QLabel#phase {{ font-size: 30px; font-weight: bold; color: {ACCENT}; }}
QLabel#timer {{ font-size: 64px; font-weight: bold; font-family: "DejaVu Sans Mono"; }}
QLabel#subtle {{ color: {MUTED}; }}
QLabel#emergency {{
    background: {DANGER}; color: #f2e6d0; font-size: 20px; font-weight: bold;
    border-radius: 8px; padding: 6px 14px;
}}
QLabel#problem {{ color: {WARNING}; }}
QPushButton {{
    background: #262a30; color: {TEXT}; border: 1px solid #343a42; border-radius: 10px;
    min-height: 56px; min-width: 120px; padding: 4px 16px; font-size: 17px;
}}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #4d4a44; background: #191b1e; border-color: #22262b; }}
QPushButton#primary {{ background: #3a2f1c; border-color: {ACCENT}; font-weight: bold; }}
QPushButton#primary:disabled {{ background: #191b1e; border-color: #22262b; color: #4d4a44; }}
QPushButton#danger {{ background: #3a1c1a; border-color: {DANGER}; font-weight: bold; }}
QLineEdit, QSpinBox, QComboBox {{
    background: {SURFACE}; border: 1px solid #343a42; border-radius: 6px; min-height: 40px;
    padding: 0 8px;
}}
QListWidget {{ background: {SURFACE}; border: none; border-radius: 10px; }}
QCheckBox {{ background: transparent; font-size: 17px; spacing: 12px; }}
QCheckBox::indicator {{
    width: 28px; height: 28px; border: 2px solid {MUTED}; border-radius: 6px; background: #101214;
}}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QCheckBox::indicator:disabled {{ border-color: #3a3a36; }}
QCheckBox:disabled {{ color: #6a6458; }}
"""


def dark_palette() -> QPalette:
    """The same colours for what Qt paints from the palette rather than the style sheet: a
    scroll area's page fills itself with ``Window``, item views with ``Base``. Without it they
    would flash the default light grey in a dark room."""
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND),
        (QPalette.ColorRole.Base, SURFACE),
        (QPalette.ColorRole.AlternateBase, "#1e2226"),
        (QPalette.ColorRole.Button, "#262a30"),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.ToolTipBase, SURFACE),
        (QPalette.ColorRole.ToolTipText, TEXT),
    ):
        palette.setColor(role, QColor(colour))
    return palette
