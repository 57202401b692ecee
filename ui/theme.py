"""The dark-room look: near-black surfaces, warm dim text, no pure white anywhere near the
patient, large targets for gloved hands. Alarm colours are reserved for alarms."""

from __future__ import annotations

BACKGROUND = "#101214"
SURFACE = "#1a1d21"
TEXT = "#d9cbb0"
MUTED = "#8a8172"
ACCENT = "#c8903a"
OK = "#6f9b6a"
WARNING = "#c9a227"
DANGER = "#b8433a"

STYLE_SHEET = f"""
QWidget {{
    background: {BACKGROUND};
    color: {TEXT};
    font-family: "DejaVu Sans";
    font-size: 15px;
}}
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
"""
