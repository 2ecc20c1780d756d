"""The tray icon (coloured by protection state) and its menu, with the user's own home visit
and, for responders and managers, the office's."""

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from trygg_desktop.i18n import Texts
from trygg_desktop.status import RED, StatusLook


def dot_icon(colour: str, loud: bool = False) -> QIcon:
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QColor("#ffffff") if loud else QColor("#000000"))
    painter.drawEllipse(4, 4, 56, 56)
    if loud:
        painter.setPen(QColor("#ffffff"))
        font = painter.font()
        font.setBold(True)
        font.setPointSize(28)
        painter.setFont(font)
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    raise_requested = Signal(str, str)  # level, mode
    toggle_button = Signal()
    quit_requested = Signal()

    def __init__(self, tr: Texts) -> None:
        super().__init__()
        self.icon = QSystemTrayIcon(dot_icon(RED, loud=True))
        self.menu = QMenu()
        self.status_action = QAction(tr("unprotected"), self.menu, enabled=False)
        self.menu.addAction(self.status_action)
        self.visit_action = QAction("", self.menu, enabled=False, visible=False)
        self.menu.addAction(self.visit_action)
        self.office_menu = QMenu(self.menu)
        self.office_action = self.menu.addMenu(self.office_menu)
        self.office_action.setVisible(False)
        self.menu.addSeparator()
        entries = ((tr("raise_yellow"), ("yellow", "real")), (tr("raise_red"), ("red", "real")),
                   (tr("test_alarm"), ("yellow", "test")))
        self.actions: dict[str, QAction] = {}
        for text, (level, mode) in entries:
            action = self.menu.addAction(text)
            action.triggered.connect(lambda _=False, lv=level, m=mode: self.raise_requested.emit(lv, m))
            self.actions[f"{level}-{mode}"] = action
        self.menu.addSeparator()
        self.menu.addAction(tr("show_button")).triggered.connect(self.toggle_button.emit)
        self.menu.addAction(tr("quit")).triggered.connect(self.quit_requested.emit)
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip(tr("unprotected"))
        self.tr_ = tr
        self.status_text = tr("unprotected")

    def show(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()

    def show_status(self, status: StatusLook) -> None:
        self.icon.setIcon(dot_icon(status.colour, status.loud))
        self.status_text = status.text
        self.status_action.setText(status.text)
        self._tooltip()

    def show_visits(self, own: str | None, office: list[str]) -> None:
        """The user's own visit in one line; the office's visits (others') in a submenu."""
        self.visit_action.setText(own or "")
        self.visit_action.setVisible(bool(own))
        self.office_menu.clear()
        for line in office:
            self.office_menu.addAction(line).setEnabled(False)
        self.office_action.setText(self.tr_("office_visits", n=len(office)))
        self.office_action.setVisible(bool(office))
        self._tooltip()

    def _tooltip(self) -> None:
        lines = [f"Trygg: {self.status_text}"]
        if self.visit_action.isVisible():
            lines.append(self.visit_action.text())
        self.icon.setToolTip("\n".join(lines))

    def notify(self, text: str) -> None:
        if self.icon.isVisible():
            self.icon.showMessage("Trygg", text, QSystemTrayIcon.MessageIcon.Information, 5000)
