"""`trygg-desktop`: wires the client bridge to the tray, the floating button, the hotkeys, the
alarm window and the home-visit warning."""

import argparse
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog
from trygg_client import ClientConfig, Protection, RaiseStatus, Readiness, client_home
from trygg_client.alarms import AlarmChange

from trygg_desktop.alarm_window import AlarmWindow
from trygg_desktop.bridge import ClientBridge
from trygg_desktop.floating import FloatingButton
from trygg_desktop.hotkeys import DEFAULT_HOTKEYS, GlobalHotkeys
from trygg_desktop.i18n import Texts, pick_language
from trygg_desktop.setup_dialog import SetupDialog
from trygg_desktop.status import look
from trygg_desktop.tray import Tray
from trygg_desktop.visits import VisitWarning, is_due, office_line, own_visit, visit_line

log = logging.getLogger(__name__)


class DesktopApp(QObject):
    hotkey_fired = Signal(str)  # from the hotkey thread; delivered on the GUI thread

    def __init__(self, config: ClientConfig, home: Path, *, language: str | None = None,
                 hotkeys: bool = True) -> None:
        super().__init__()
        self.config = config
        self.tr = Texts(pick_language(language or config.settings.get("language")))
        self.bridge = ClientBridge(config, home)
        self.window = AlarmWindow(self.tr, config.user_id)
        self.button = FloatingButton(self.tr)
        self.tray = Tray(self.tr)
        self.visit_warning = VisitWarning(self.tr)
        self.visits: list[dict] = []
        self.closed_alarms: set[str] = set()
        combos = {**DEFAULT_HOTKEYS, **(config.settings.get("hotkeys") or {})}
        self.hotkeys = GlobalHotkeys(combos, self.hotkey_fired.emit) if hotkeys else None

        self.bridge.state_changed.connect(self.on_state)
        self.bridge.alarm_changed.connect(self.on_alarm)
        self.bridge.raise_changed.connect(self.on_raise)
        self.bridge.visits_changed.connect(self.on_visits)
        self.bridge.action_failed.connect(lambda _id, text: self.button.show_note(
            self.tr("error", detail=text)))
        self.bridge.action_failed.connect(lambda item_id, _text:
                                          self.visit_warning.check_in_failed(item_id))
        self.visit_warning.check_in_requested.connect(self.bridge.check_in)
        self.button.raise_requested.connect(self.raise_alarm)
        self.button.cancel_requested.connect(
            lambda alarm_id: self.bridge.cancel(alarm_id, self.tr("false_alarm_reason")))
        self.tray.raise_requested.connect(self.raise_alarm)
        self.tray.toggle_button.connect(lambda: self.button.setVisible(not self.button.isVisible()))
        self.tray.quit_requested.connect(self.quit)
        self.hotkey_fired.connect(self.raise_alarm)
        self.window.coming_clicked.connect(self.bridge.acknowledge)
        self.window.shown.connect(self.bridge.mark_shown)
        self.on_state(self.bridge.protection, None)

    def start(self) -> None:
        self.bridge.start()
        self.tray.show()
        self._place_button()
        self.button.show()
        if self.hotkeys is not None:
            self.hotkeys.start()

    def quit(self) -> None:
        self.stop()
        QApplication.quit()

    def stop(self) -> None:
        if self.hotkeys is not None:
            self.hotkeys.stop()
        self.window.sound.stop()
        self.visit_warning.hide()
        self.bridge.stop()

    def raise_alarm(self, level: str, mode: str = "real") -> RaiseStatus:
        status = self.bridge.raise_alarm(level, mode)
        if mode != "test":
            self.button.raised(status)
        return status

    def on_state(self, state: Protection, readiness: Readiness | None) -> None:
        status = look(state, readiness, self.tr)
        self.button.show_status(status)
        self.tray.show_status(status)

    def on_alarm(self, change: AlarmChange) -> None:
        alarm = change.alarm
        if alarm.get("visit_id") and alarm.get("status") not in ("active", "responding"):
            self.closed_alarms.add(str(alarm["id"]))  # a missed check-in, dealt with
            self.show_visits()
        if str((alarm.get("raised_by") or {}).get("id")) == self.config.user_id:
            return  # our own raise: silent; its status shows on the button
        if alarm.get("mode") == "test":
            return
        self.window.show_alarm(alarm, change.event)

    def on_raise(self, status: RaiseStatus) -> None:
        self.button.show_raise(status)
        if status.mode == "test" and status.round_trip_s is not None:
            text = self.tr("test_ok", ms=round(status.round_trip_s * 1000))
            self.button.show_note(text)
            self.tray.notify(text)
            self.bridge.resolve(status.alarm_id)  # a function test needs no one to close it

    def on_visits(self, visits: list[dict], _event: dict | None) -> None:
        self.visits = visits
        self.show_visits()

    def show_visits(self) -> None:
        """The own visit on the button and in the tray, its warning when a check-in is due or
        was missed; the office's visits (of others) in the tray for responders and managers."""
        mine = own_visit(self.visits, self.config.user_id, self.closed_alarms)
        line = visit_line(mine, self.tr) if mine else None
        self.button.show_visit(line)
        others = [v for v in self.visits if str(v.get("user_id")) != self.config.user_id
                  and str(v.get("alarm_id")) not in self.closed_alarms]
        self.tray.show_visits(line, [office_line(v, self.tr) for v in others])
        fresh = False
        if is_due(mine):
            fresh = self.visit_warning.show_due(mine)
        elif mine is not None and mine.get("status") == "overdue":
            fresh = self.visit_warning.show_overdue(mine)
        else:
            self.visit_warning.clear()
        if fresh:
            self.tray.notify(self.visit_warning.title.text())

    def _place_button(self) -> None:
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        self.button.adjustSize()
        self.button.move(area.right() - self.button.width() - 24,
                         area.bottom() - self.button.height() - 24)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trygg-desktop", description="Trygg desktop client")
    parser.add_argument("--lang", choices=["nb", "en"], help="language (default: bokmål, or "
                        "English on an English system)")
    parser.add_argument("--setup", action="store_true", help="log in and enroll again")
    parser.add_argument("--no-hotkeys", action="store_true", help="no global hotkeys")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Trygg")
    app.setQuitOnLastWindowClosed(False)
    home = client_home()
    config = None if args.setup else ClientConfig.load(home)
    if config is None:
        dialog = SetupDialog(Texts(pick_language(args.lang)))
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.config is None:
            return 1
        config = dialog.config
        config.save(home)
    if args.lang:
        config.settings["language"] = args.lang
        config.save(home)
    desktop = DesktopApp(config, home, hotkeys=not args.no_hotkeys)
    desktop.start()
    try:
        return app.exec()
    finally:
        desktop.stop()


if __name__ == "__main__":
    sys.exit(main())
