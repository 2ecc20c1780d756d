"""The window an incoming alarm opens: on top of everything, in the level's colour, one card
per alarm, following each alarm live, with a repeating sound until answered or muted. Each card
offers the three answers (go, police, reception), the one still missing first, and lists who
does what; once answered it says "Du: <role>" and offers the other two roles as small buttons,
which take two clicks (the first only arms one). An alarm from a home visit shows the place and a
map link."""

import html
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
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
from trygg_desktop.roles import ROLES, role_of, role_order
from trygg_desktop.sound import AlarmSound
from trygg_desktop.status import LEVEL_COLOURS

OPEN = ("active", "responding")
SWITCH_ARM_MS = 4000  # how long a first click on another role waits for the second


def map_url(position: dict[str, Any]) -> str:
    """An OpenStreetMap link to the position; nothing is fetched until someone opens it."""
    lat, lon = float(position["lat"]), float(position["lon"])
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"


def is_visit_alarm(alarm: dict[str, Any]) -> bool:
    return bool(alarm.get("visit_id") or alarm.get("visit"))


def _local_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S")
    except (TypeError, ValueError):
        return str(stamp)



def text_label(widget: QWidget, size: int, *, bold: bool = False) -> QLabel:
    """A word-wrapped label in `widget`'s font at `size` points."""
    label = QLabel(wordWrap=True)
    font = QFont(widget.font())
    font.setPointSize(size)
    font.setBold(bold)
    label.setFont(font)
    return label

class AlarmCard(QFrame):
    coming_clicked = Signal(str, str)  # alarm id, role
    dismissed = Signal(str)

    def __init__(self, alarm: dict[str, Any], tr: Texts, my_id: str) -> None:
        super().__init__()
        self.tr_ = tr
        self.my_id = my_id
        self.alarm_id = str(alarm["id"])
        self.alarm = alarm
        self.answered = False
        self.my_role: str | None = None
        self.armed: str | None = None
        self.disarm_timer = QTimer(self, singleShot=True, interval=SWITCH_ARM_MS)
        self.disarm_timer.timeout.connect(self._disarm)
        self.title = text_label(self, 18, bold=True)
        self.details = text_label(self, 12)
        details_font = self.details.font()
        self.state = QLabel(wordWrap=True)
        state_font = QFont(self.font())
        state_font.setPointSize(13)
        state_font.setBold(True)
        self.state.setFont(state_font)
        self.map_link = QLabel(openExternalLinks=True)
        self.map_link.setTextFormat(Qt.TextFormat.RichText)
        self.map_link.setFont(details_font)
        self.map_link.hide()
        self.coming_line = QLabel(wordWrap=True)
        self.coming_line.setFont(details_font)
        self.role_buttons: dict[str, QPushButton] = {}
        for role in ROLES:
            button = QPushButton(tr(f"role_{role}"))
            button.setObjectName("role")
            button.setProperty("role", role)
            button.clicked.connect(lambda _checked=False, role=role: self._answer(role))
            self.role_buttons[role] = button
        self.coming = self.role_buttons["go"]
        self.you_line = QLabel(wordWrap=True)
        self.you_line.setFont(state_font)
        self.you_line.hide()
        self.switch_buttons: dict[str, QPushButton] = {}
        self.switches = QVBoxLayout()
        for role in ROLES:
            button = QPushButton()
            button.setObjectName("switch")
            button.setProperty("role", role)
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _checked=False, role=role: self._switch(role))
            button.hide()
            self.switch_buttons[role] = button
            self.switches.addWidget(button)
        self.roles = QVBoxLayout()
        self.dismiss = QPushButton(tr("dismiss"))
        self.dismiss.clicked.connect(lambda: self.dismissed.emit(self.alarm_id))
        self.dismiss.hide()
        layout = QVBoxLayout(self)
        for widget in (self.title, self.details, self.map_link, self.state, self.coming_line):
            layout.addWidget(widget)
        layout.addLayout(self.roles)
        layout.addWidget(self.you_line)
        layout.addLayout(self.switches)
        layout.addWidget(self.dismiss)
        self.update_alarm(alarm, None)

    @property
    def open(self) -> bool:
        return self.alarm.get("status") in OPEN

    @property
    def needs_sound(self) -> bool:
        return self.open and not self.answered

    @property
    def role_order(self) -> list[str]:
        """The role buttons as they stand in the card, top first."""
        return [self.roles.itemAt(i).widget().property("role") for i in range(self.roles.count())]

    def update_alarm(self, alarm: dict[str, Any], event: dict | None) -> None:
        tr = self.tr_
        self.alarm = alarm
        level = alarm.get("level", "yellow")
        background, foreground = LEVEL_COLOURS.get(level, LEVEL_COLOURS["yellow"])
        self.setStyleSheet(f"AlarmCard {{ background: {background}; border-radius: 8px; "
                           f"border: 2px solid {foreground}; }} "
                           f"QLabel {{ color: {foreground}; }} "
                           "QPushButton#role { background: #e8e8e8; color: #000000; "
                           "border: 2px solid #000000; border-radius: 8px; } "
                           "QPushButton#role[first=true] { background: #ffffff; "
                           "border: 4px solid #000000; } "
                           "QPushButton#switch { background: #f4f4f4; color: #000000; "
                           "border: 1px solid #000000; border-radius: 6px; padding: 4px 10px; } "
                           "QPushButton#switch[armed=true] { background: #ffb020; "
                           "border: 3px solid #000000; }")
        prefix = {"drill": tr("drill") + ": ", "test": tr("test") + ": "}.get(alarm.get("mode"), "")
        self.title.setText(prefix + tr(level))
        self.details.setText("\n".join(self._where(alarm)))
        position = alarm.get("position")
        self.map_href = map_url(position) if position and "lat" in position else None
        if self.map_href:
            self.map_link.setText(f'<a href="{html.escape(self.map_href)}" '
                                  f'style="color: {foreground}">{html.escape(tr("map_link"))}</a>')
            self.map_link.setToolTip(self.map_href)
        self.map_link.setVisible(self.map_href is not None)
        status = alarm.get("status", "active")
        state = tr(f"status_{status}")
        if event is not None and event.get("type") == "alarm.upgraded":
            state = tr("upgraded") + " · " + state
        self.state.setText(state)
        responders = alarm.get("responders") or []
        self.coming_line.setText("\n".join(
            tr("does", name=r["full_name"], what=tr(f"does_{role_of(r)}")) for r in responders)
            if responders else tr("nobody_coming"))
        mine = next((r for r in responders if str(r["user_id"]) == self.my_id), None)
        if mine is not None:
            self._mark_answered(role_of(mine))
        self._arrange_roles()
        self._arrange_switches()
        self.dismiss.setVisible(not self.open)

    def _where(self, alarm: dict[str, Any]) -> list[str]:
        tr = self.tr_
        room = (alarm.get("room") or {}).get("name")
        lines = []
        if is_visit_alarm(alarm):
            lines.append(tr("visit_alarm"))
            if alarm.get("location_note"):
                lines.append(tr("place", place=alarm["location_note"]))
        else:
            lines.append(tr("room", room=room) if room else tr("no_room"))
            if alarm.get("location_note"):
                lines.append(alarm["location_note"])
        lines.append(tr("raised_by", name=(alarm.get("raised_by") or {}).get("full_name", "?")))
        lines.append(tr("time", time=_local_time(alarm.get("raised_at", ""))))
        return lines

    def _arrange_roles(self) -> None:
        """Lay the answers out in today's order, the first one largest; none once answered."""
        while self.roles.count():
            self.roles.takeAt(0)
        for index, role in enumerate(role_order(self.alarm)):
            button = self.role_buttons[role]
            first = index == 0
            button.setProperty("first", first)
            button.setMinimumHeight(72 if first else 52)
            font = QFont(self.font())
            font.setPointSize(20 if first else 15)
            font.setBold(True)
            button.setFont(font)
            button.style().unpolish(button)
            button.style().polish(button)
            button.setVisible(self.open and not self.answered)
            button.setEnabled(not self.answered)
            self.roles.addWidget(button)

    def _arrange_switches(self) -> None:
        """After answering: the two other roles, small; the armed one says to click again."""
        tr = self.tr_
        for role, button in self.switch_buttons.items():
            armed = role == self.armed
            label = tr(f"label_{role}")
            button.setText(tr("switch_again" if armed else "switch_to", role=label))
            button.setProperty("armed", armed)
            font = QFont(self.font())
            font.setPointSize(11)
            font.setBold(armed)
            button.setFont(font)
            button.style().unpolish(button)
            button.style().polish(button)
            button.updateGeometry()
            button.setVisible(self.open and self.answered and role != self.my_role)

    def _answer(self, role: str) -> None:
        self._mark_answered(role)
        self._arrange_roles()
        self._arrange_switches()
        self.coming_clicked.emit(self.alarm_id, role)

    def _switch(self, role: str) -> None:
        """The first click on another role arms it; a second one within SWITCH_ARM_MS sends it,
        so a stray or double click never changes what the others are told."""
        if self.armed == role and self.disarm_timer.isActive():
            self._disarm()
            self._answer(role)
            return
        self.armed = role
        self.disarm_timer.start()
        self._arrange_switches()

    def _disarm(self) -> None:
        self.disarm_timer.stop()
        self.armed = None
        self._arrange_switches()

    def _mark_answered(self, role: str) -> None:
        self.answered = True
        self.my_role = role
        if self.armed == role:
            self.armed = None
        self.you_line.setText(self.tr_("you_role", role=self.tr_(f"label_{role}")))
        self.you_line.setVisible(True)


class AlarmWindow(QWidget):
    coming_clicked = Signal(str, str)  # alarm id, role
    shown = Signal(str)  # an alarm was put on screen for the first time

    def __init__(self, tr: Texts, my_id: str) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.tr_ = tr
        self.my_id = my_id
        self.setWindowTitle(tr("alarms_title"))
        self.setMinimumSize(460, 520)  # room for one card's three answers
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

    def _coming(self, alarm_id: str, role: str) -> None:
        self._sound()
        self.coming_clicked.emit(alarm_id, role)

    def _mute(self) -> None:
        self.muted = True
        self.mute.setText(self.tr_("muted"))
        self._sound()

    def _sound(self) -> None:
        if not self.muted and any(card.needs_sound for card in self.cards.values()):
            self.sound.play()
        else:
            self.sound.stop()
