"""Home visits on the desktop: which of the open visits is the user's own, how a visit reads in
one line, and the warning that takes the screen when a check-in is due, with "Jeg er trygg"."""

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from trygg_desktop.alarm_window import text_label
from trygg_desktop.i18n import Texts
from trygg_desktop.status import GREEN


def clock(stamp: str | None) -> str:
    """HH:MM in local time."""
    try:
        return datetime.fromisoformat(str(stamp)).astimezone().strftime("%H:%M")
    except ValueError:
        return str(stamp)


def own_visit(visits: list[dict[str, Any]], user_id: str,
              closed_alarms: set[str]) -> dict[str, Any] | None:
    """The user's newest visit to show: an active one, or an overdue one while its alarm is
    open (once the alarm is closed the visit is over for the worker)."""
    mine = [v for v in visits if str(v.get("user_id")) == str(user_id)
            and (v.get("status") == "active"
                 or (v.get("status") == "overdue" and str(v.get("alarm_id")) not in closed_alarms))]
    return max(mine, key=lambda v: v.get("started_at") or "", default=None)


def is_due(visit: dict[str, Any] | None) -> bool:
    """The server has warned the worker for the current deadline and no check-in came yet."""
    return bool(visit and visit.get("status") == "active" and visit.get("warned_at"))


def visit_line(visit: dict[str, Any], tr: Texts) -> str:
    """"Hjemmebesøk: Storgata 1 · sjekk inn senest 14:30"."""
    if visit.get("status") == "overdue":
        return tr("visit_line_overdue", place=visit.get("place", ""))
    return tr("visit_line", place=visit.get("place", ""), time=clock(visit.get("due_at")))


def office_line(visit: dict[str, Any], tr: Texts) -> str:
    """A colleague's visit, for responders and managers: who, where, until when."""
    name = (visit.get("user") or {}).get("full_name", "?")
    if visit.get("status") == "overdue":
        return tr("office_visit_overdue", name=name, place=visit.get("place", ""))
    return tr("office_visit", name=name, place=visit.get("place", ""),
              time=clock(visit.get("due_at")))


class VisitWarning(QWidget):
    """On top of everything: the check-in is due (with the one big button), or it was missed
    and the office has been alarmed."""

    check_in_requested = Signal(str)  # visit id

    def __init__(self, tr: Texts) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.tr_ = tr
        self.visit_id: str | None = None
        self.warned_at: str | None = None
        self.setWindowTitle(tr("visit_window_title"))
        self.setMinimumWidth(420)
        self.setObjectName("visitWarning")
        self.setStyleSheet("#visitWarning { background: #ffb020; } QLabel { color: #000000; }")
        self.title = text_label(self, 18, bold=True)
        self.text = text_label(self, 13)
        self.safe = QPushButton(tr("visit_check_in"))
        self.safe.setMinimumHeight(84)
        safe_font = QFont(self.font())
        safe_font.setPointSize(22)
        safe_font.setBold(True)
        self.safe.setFont(safe_font)
        self.safe.setStyleSheet(f"QPushButton {{ background: {GREEN}; color: #ffffff; "
                                "border: 3px solid #000000; border-radius: 10px; } "
                                "QPushButton:disabled { background: #7fa98b; }")
        self.safe.clicked.connect(self._safe)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.text, self.safe):
            layout.addWidget(widget)

    def show_due(self, visit: dict[str, Any]) -> bool:
        """Show the warning; True when it is a new one (not already on screen)."""
        tr = self.tr_
        fresh = (self.visit_id, self.warned_at) != (str(visit["id"]), visit.get("warned_at"))
        self.visit_id, self.warned_at = str(visit["id"]), visit.get("warned_at")
        self.title.setText(tr("visit_due_title"))
        self.text.setText(tr("visit_due_text", place=visit.get("place", ""),
                             time=clock(visit.get("alarm_at"))))
        if fresh:
            self.safe.setEnabled(True)
        self.safe.show()
        self._present(fresh)
        return fresh

    def show_overdue(self, visit: dict[str, Any]) -> bool:
        tr = self.tr_
        fresh = (self.visit_id, self.warned_at) != (str(visit["id"]), "overdue")
        self.visit_id, self.warned_at = str(visit["id"]), "overdue"
        self.title.setText(tr("visit_overdue"))
        self.text.setText(tr("visit_overdue_text", place=visit.get("place", "")))
        self.safe.hide()
        self._present(fresh)
        return fresh

    def clear(self) -> None:
        self.visit_id = self.warned_at = None
        self.hide()

    def check_in_failed(self, visit_id: str) -> None:
        if visit_id == self.visit_id:
            self.safe.setEnabled(True)

    def _present(self, fresh: bool) -> None:
        self.show()
        if fresh:
            self.raise_()
            self.activateWindow()

    def _safe(self) -> None:
        if self.visit_id is not None:
            self.safe.setEnabled(False)  # until the server's answer: one check-in per click
            self.check_in_requested.emit(self.visit_id)
