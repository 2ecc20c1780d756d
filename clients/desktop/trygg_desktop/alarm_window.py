"""The window an incoming alarm opens: on top of everything, in the level's colour, one card
per alarm, following each alarm live, with a repeating sound until answered or muted."""

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from trygg_desktop.i18n import Texts
from trygg_desktop.sound import AlarmSound
from trygg_desktop.status import LEVEL_COLOURS

OPEN = ("active", "responding")


def _local_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    except (TypeError, ValueError):
        return str(stamp)


class AlarmCard(QFrame):
    coming_clicked = Signal(str)
    dismissed = Signal(str)

    def __init__(self, alarm: dict[str, Any], tr: Texts, my_id: str) -> None:
        super().__init__()
        self.tr_ = tr
        self.my_id = my_id
        self.alarm_id = str(alarm["id"])
        self.alarm = alarm
        self.answered = False
        self.title = QLabel(wordWrap=True)
        title_font = QFont(self.font())
        title_font.setPointSize(18)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.details = QLabel(wordWrap=True)
        details_font = QFont(self.font())
        details_font.setPointSize(12)
        self.details.setFont(details_font)
        self.state = QLabel(wordWrap=True)
        state_font = QFont(self.font())
        state_font.setPointSize(13)
        state_font.setBold(True)
        self.state.setFont(state_font)
        self.coming_line = QLabel(wordWrap=True)
        self.coming = QPushButton(tr("im_coming"))
        self.coming.setObjectName("coming")
        self.coming.setMinimumHeight(64)
        button_font = QFont(self.font())
        button_font.setPointSize(20)
        button_font.setBold(True)
        self.coming.setFont(button_font)
        self.coming.clicked.connect(self._coming)
        self.dismiss = QPushButton(tr("dismiss"))
        self.dismiss.clicked.connect(lambda: self.dismissed.emit(self.alarm_id))
        self.dismiss.hide()
        layout = QVBoxLayout(self)
        for widget in (self.title, self.details, self.state, self.coming_line, self.coming,
                       self.dismiss):
            layout.addWidget(widget)
        self.update_alarm(alarm, None)

    @property
    def open(self) -> bool:
        return self.alarm.get("status") in OPEN

    @property
    def needs_sound(self) -> bool:
        return self.open and not self.answered

    def update_alarm(self, alarm: dict[str, Any], event: dict | None) -> None:
        tr = self.tr_
        self.alarm = alarm
        level = alarm.get("level", "yellow")
        background, foreground = LEVEL_COLOURS.get(level, LEVEL_COLOURS["yellow"])
        self.setStyleSheet(f"AlarmCard {{ background: {background}; border-radius: 8px; "
                           f"border: 2px solid {foreground}; }} "
                           f"QLabel {{ color: {foreground}; }} "
                           "QPushButton#coming { background: #ffffff; color: #000000; "
                           "border: 3px solid #000000; border-radius: 8px; }")
        prefix = {"drill": tr("drill") + ": ", "test": tr("test") + ": "}.get(alarm.get("mode"), "")
        self.title.setText(prefix + tr(level))
        room = (alarm.get("room") or {}).get("name")
        lines = [tr("room", room=room) if room else tr("no_room")]
        if alarm.get("location_note"):
            lines.append(alarm["location_note"])
        lines.append(tr("raised_by", name=(alarm.get("raised_by") or {}).get("full_name", "?")))
        lines.append(tr("time", time=_local_time(alarm.get("raised_at", ""))))
        self.details.setText("\n".join(lines))
        status = alarm.get("status", "active")
        state = tr(f"status_{status}")
        if event is not None and event.get("type") == "alarm.upgraded":
            state = tr("upgraded") + " · " + state
        self.state.setText(state)
        responders = alarm.get("responders") or []
        names = [r["full_name"] for r in responders]
        self.coming_line.setText(tr("coming", names=", ".join(names)) if names
                                 else tr("nobody_coming"))
        if any(str(r["user_id"]) == self.my_id for r in responders):
            self._mark_answered()
        self.coming.setVisible(self.open)
        self.dismiss.setVisible(not self.open)

    def _coming(self) -> None:
        self._mark_answered()
        self.coming_clicked.emit(self.alarm_id)

    def _mark_answered(self) -> None:
        self.answered = True
        self.coming.setEnabled(False)
        self.coming.setText(self.tr_("you_are_coming"))


class AlarmWindow(QWidget):
    coming_clicked = Signal(str)
    shown = Signal(str)  # an alarm was put on screen for the first time

    def __init__(self, tr: Texts, my_id: str) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.tr_ = tr
        self.my_id = my_id
        self.setWindowTitle(tr("alarms_title"))
        self.setMinimumSize(460, 360)
        self.cards: dict[str, AlarmCard] = {}
        self.sound = AlarmSound(self)
        self.muted = False
        self.mute = QPushButton(tr("mute"))
        self.mute.clicked.connect(self._mute)
        header = QHBoxLayout()
        header.addStretch(1)
        header.addWidget(self.mute)
        self.list = QVBoxLayout()
        self.list.addStretch(1)
        inner = QWidget()
        inner.setLayout(self.list)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        scroll.viewport().setAutoFillBackground(False)
        inner.setAutoFillBackground(False)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(scroll)

    def show_alarm(self, alarm: dict[str, Any], event: dict | None = None) -> None:
        """Add or update the alarm's card; bring the window up for anything new or open."""
        alarm_id = str(alarm["id"])
        card = self.cards.get(alarm_id)
        if card is None:
            if alarm.get("status") not in OPEN:
                return  # closed before we ever showed it: nothing to do for anyone
            card = AlarmCard(alarm, self.tr_, self.my_id)
            card.coming_clicked.connect(self._coming)
            card.dismissed.connect(self.dismiss)
            self.cards[alarm_id] = card
            self.list.insertWidget(0, card)
            self.muted = False
            self.mute.setText(self.tr_("mute"))
            self.shown.emit(alarm_id)
        else:
            card.update_alarm(alarm, event)
        self._present()
        self._sound()

    def dismiss(self, alarm_id: str) -> None:
        card = self.cards.pop(alarm_id, None)
        if card is not None:
            card.setParent(None)
            card.deleteLater()
        self._sound()
        if not self.cards:
            self.hide()

    def _present(self) -> None:
        levels = {card.alarm.get("level") for card in self.cards.values() if card.open}
        colour = (LEVEL_COLOURS["red"][0] if "red" in levels
                  else LEVEL_COLOURS["yellow"][0] if levels else "#eeeeee")
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(colour))
        self.setPalette(palette)
        self.show()
        self.raise_()
        self.activateWindow()

    def _coming(self, alarm_id: str) -> None:
        self._sound()
        self.coming_clicked.emit(alarm_id)

    def _mute(self) -> None:
        self.muted = True
        self.mute.setText(self.tr_("muted"))
        self._sound()

    def _sound(self) -> None:
        if not self.muted and any(card.needs_sound for card in self.cards.values()):
            self.sound.play()
        else:
            self.sound.stop()
