"""The small always-on-top panic button: click for yellow, hold 2 s for red.

It also shows the protection state, the honest status of the last raise, for 10 s after a
raise a discreet "cancel: false alarm", and the user's own home visit while one is open."""

from PySide6.QtCore import QElapsedTimer, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget
from trygg_client import RaiseState, RaiseStatus

from trygg_desktop.i18n import Texts
from trygg_desktop.roles import summary as role_summary
from trygg_desktop.status import LEVEL_COLOURS, StatusLook

HOLD_FOR_RED_MS = 2000
CANCEL_WINDOW_MS = 10_000


class HoldButton(QWidget):
    """A round button that tells a click from a hold."""

    clicked = Signal()
    held = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(96, 96)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.ring = QColor("#1b7f3b")
        self._elapsed = QElapsedTimer()
        self._hold = QTimer(self, singleShot=True, interval=HOLD_FOR_RED_MS)
        self._hold.timeout.connect(self._held)
        self._tick = QTimer(self, interval=40)
        self._tick.timeout.connect(self.update)
        self._fired = False

    @property
    def progress(self) -> float:
        return min(1.0, self._elapsed.elapsed() / HOLD_FOR_RED_MS) if self._hold.isActive() else 0.0

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._fired = False
        self._elapsed.start()
        self._hold.start()
        self._tick.start()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._tick.stop()
        if self._hold.isActive():
            self._hold.stop()
            self.clicked.emit()
        self.update()

    def _held(self) -> None:
        self._tick.stop()
        self._fired = True
        self.held.emit()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(6, 6, 84, 84)
        painter.setPen(QPen(self.ring, 6))
        painter.setBrush(QColor(LEVEL_COLOURS["yellow"][0]))
        painter.drawEllipse(box)
        if self.progress:
            painter.setPen(QPen(QColor(LEVEL_COLOURS["red"][0]), 8))
            painter.drawArc(box, 90 * 16, int(-360 * 16 * self.progress))
        painter.setPen(QColor("#000000"))
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSize(13)
        painter.setFont(font)
        painter.drawText(QRectF(QPointF(0, 0), self.size().toSizeF()),
                         Qt.AlignmentFlag.AlignCenter, "ALARM")


class FloatingButton(QWidget):
    raise_requested = Signal(str)   # level
    cancel_requested = Signal(str)  # alarm id

    def __init__(self, tr: Texts) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.tr_ = tr
        self.setWindowTitle("Trygg")
        self.setObjectName("floating")
        self.setStyleSheet("#floating { background: #f4f4f4; border: 1px solid #999; }")
        self.button = HoldButton(self)
        self.button.clicked.connect(lambda: self.raise_requested.emit("yellow"))
        self.button.held.connect(lambda: self.raise_requested.emit("red"))
        self.status = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.raise_line = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.raise_line.setStyleSheet("color: #555; font-size: 9pt;")
        self.cancel = QPushButton(tr("cancel_false"), self, flat=True)
        self.cancel.setStyleSheet("color: #555; font-size: 9pt; text-decoration: underline;")
        self.cancel.hide()
        self.cancel.clicked.connect(self._cancel)
        self.visit_line = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.visit_line.setStyleSheet("color: #000; font-size: 9pt; border-top: 1px solid #999; "
                                      "padding-top: 3px;")
        self.visit_line.hide()
        self._cancel_timer = QTimer(self, singleShot=True, interval=CANCEL_WINDOW_MS)
        self._cancel_timer.timeout.connect(self.cancel.hide)
        self.last_raise: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignHCenter)
        for widget in (self.status, self.raise_line, self.cancel, self.visit_line):
            layout.addWidget(widget)
        self.setFixedWidth(170)

    def show_status(self, status: StatusLook) -> None:
        self.button.ring = QColor(status.colour)
        self.button.update()
        self.status.setText(status.text)
        if status.loud:
            self.status.setStyleSheet(f"background: {status.colour}; color: white; "
                                      "font-weight: bold; font-size: 11pt; padding: 3px;")
        else:
            self.status.setStyleSheet(f"color: {status.colour}; font-size: 9pt;")

    def raised(self, status: RaiseStatus) -> None:
        """A raise has just been queued: offer the discreet cancel for 10 s."""
        self.last_raise = status.alarm_id
        self.cancel.show()
        self._cancel_timer.start()
        self.show_raise(status)

    def show_raise(self, status: RaiseStatus) -> None:
        if status.alarm_id != self.last_raise or status.mode == "test":
            return
        tr = self.tr_
        if status.state is RaiseState.PENDING:
            text = tr("raise_pending")
        elif status.state is RaiseState.REJECTED:
            text = tr("raise_rejected")
        elif (status.alarm or {}).get("status") == "cancelled":
            text = tr("raise_cancelled")
        else:
            text = tr("raise_stored") + " · " + tr("raise_reached", count=status.delivered_to)
            if status.coming:
                text += " · " + role_summary(status.alarm or {}, tr)
                text += " · " + tr("coming", names=", ".join(status.coming))
        self.raise_line.setText(text)

    def show_visit(self, text: str | None) -> None:
        self.visit_line.setText(text or "")
        self.visit_line.setVisible(bool(text))
        self.adjustSize()

    def show_note(self, text: str) -> None:
        self.raise_line.setText(text)

    def _cancel(self) -> None:
        self.cancel.hide()
        self._cancel_timer.stop()
        if self.last_raise:
            self.cancel_requested.emit(self.last_raise)
