"""First start: server, username and password; pick a room; enroll this PC as a device."""

import asyncio
import platform

import httpx
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)
from trygg_client import Api, ApiError, ClientConfig

from trygg_desktop.i18n import Texts


class SetupDialog(QDialog):
    def __init__(self, tr: Texts, server_url: str = "http://127.0.0.1:8000") -> None:
        super().__init__()
        self.tr_ = tr
        self.config: ClientConfig | None = None
        self._me: dict | None = None
        self._token: str | None = None
        self.setWindowTitle(tr("setup_title"))
        self.server = QLineEdit(server_url)
        self.username = QLineEdit()
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.login_button = QPushButton(tr("log_in"))
        self.login_button.clicked.connect(self.log_in)
        self.rooms = QComboBox(enabled=False)
        self.enroll_button = QPushButton(tr("enroll"), enabled=False)
        self.enroll_button.clicked.connect(self.enroll)
        self.message = QLabel(wordWrap=True)
        form = QFormLayout()
        form.addRow(tr("server"), self.server)
        form.addRow(tr("username"), self.username)
        form.addRow(tr("password"), self.password)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.login_button)
        layout.addWidget(QLabel(tr("choose_room")))
        layout.addWidget(self.rooms)
        layout.addWidget(self.enroll_button)
        layout.addWidget(self.message)

    def _call(self, work):  # type: ignore[no-untyped-def]
        """Run one short exchange with the server; show what went wrong, if anything."""
        async def run():  # type: ignore[no-untyped-def]
            async with Api(self.server.text().strip(), self._token) as api:
                return await work(api)
        try:
            return asyncio.run(run())
        except (ApiError, httpx.HTTPError, ValueError) as exc:
            self.message.setText(self.tr_("error", detail=exc))
            return None

    def log_in(self) -> None:
        async def work(api: Api):  # type: ignore[no-untyped-def]
            token = await api.login(self.username.text().strip(), self.password.text())
            me = await api.me()
            rooms = await api.rooms(me["office_id"]) if me.get("office_id") else []
            return token, me, rooms

        result = self._call(work)
        if result is None:
            return
        self._token, self._me, rooms = result
        self.rooms.clear()
        for room in rooms:
            self.rooms.addItem(room["name"], room["id"])
        self.rooms.setEnabled(True)
        self.enroll_button.setEnabled(True)
        self.message.setText(self._me["full_name"])

    def enroll(self) -> None:
        me = self._me
        if me is None:
            return
        room_id = self.rooms.currentData()

        async def work(api: Api):  # type: ignore[no-untyped-def]
            return await api.enroll_device(user_id=me["id"], room_id=room_id,
                                           label=f"desktop {platform.node()}")

        device = self._call(work)
        if device is None:
            return
        self.config = ClientConfig(
            server_url=self.server.text().strip(), token=device["token"], user_id=me["id"],
            username=me["username"], full_name=me["full_name"], office_id=me.get("office_id"),
            roles=me.get("roles", []), device_id=device["id"], room_id=room_id,
            settings={"language": self.tr_.language})
        self.accept()
