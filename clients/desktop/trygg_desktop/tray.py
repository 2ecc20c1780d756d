"""The tray icon (coloured by protection state) and its menu."""

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

    def show(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()

    def show_status(self, status: StatusLook) -> None:
        self.icon.setIcon(dot_icon(status.colour, status.loud))
        self.icon.setToolTip(f"Trygg: {status.text}")
        self.status_action.setText(status.text)

    def notify(self, text: str) -> None:
        if self.icon.isVisible():
            self.icon.showMessage("Trygg", text, QSystemTrayIcon.MessageIcon.Information, 5000)
