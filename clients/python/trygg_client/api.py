"""REST calls of the public contract (`/api/v1`)."""

import platform
from typing import Any

import httpx

from trygg_client.config import api_url


class ApiError(Exception):
    """A non-2xx answer: `status`, the contract's machine `code` and its `detail`."""

    def __init__(self, status: int, code: str, detail: Any) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class Api:
    """One HTTP connection pool to a Trygg server, acting as the holder of `token`."""

    def __init__(self, server_url: str, token: str | None = None, *, timeout: float = 10) -> None:
        self.base_url = api_url(server_url)
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Send one request; raise ApiError on a non-2xx answer (transport errors pass through)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self._http.request(method, path, json=body, headers=headers)
        if response.is_success:
            return response
        try:
            error = response.json()
            code, detail = error.get("error", "http_error"), error.get("detail")
        except (ValueError, AttributeError):
            code, detail = "http_error", response.text[:200]
        raise ApiError(response.status_code, code, detail)

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        return (await self.request(method, path, body)).json()

    async def login(self, username: str, password: str) -> str:
        data = await self._json("POST", "/auth/login", {"username": username, "password": password})
        self.token = data["access_token"]
        return self.token

    async def me(self) -> dict:
        return await self._json("GET", "/me")

    async def rooms(self, office_id: str) -> list[dict]:
        return await self._json("GET", f"/offices/{office_id}/rooms")

    async def enroll_device(self, *, user_id: str, room_id: str | None = None,
                            kind: str = "desktop", label: str | None = None) -> dict:
        """Enroll a device for the user; the answer holds its token, shown only this once."""
        body: dict[str, Any] = {"user_id": user_id, "kind": kind,
                                "label": label or f"{kind} {platform.node()}"[:200]}
        if room_id:
            body["room_id"] = room_id
        return await self._json("POST", "/devices", body)

    async def raise_alarm(self, body: dict) -> tuple[int, dict]:
        """POST /alarms; 201 when stored now, 200 when the same id was stored before."""
        response = await self.request("POST", "/alarms", body)
        return response.status_code, response.json()

    async def alarm(self, alarm_id: str) -> dict:
        return await self._json("GET", f"/alarms/{alarm_id}")

    async def acknowledge(self, alarm_id: str, role: str | None = None) -> dict:
        """Answer an alarm; `role` go, police or reception (None: the one still missing)."""
        body = {"role": role} if role else {}
        return await self._json("POST", f"/alarms/{alarm_id}/acknowledge", body)

    async def upgrade(self, alarm_id: str) -> dict:
        return await self._json("POST", f"/alarms/{alarm_id}/upgrade", {"level": "red"})

    async def cancel(self, alarm_id: str, reason: str) -> dict:
        return await self._json("POST", f"/alarms/{alarm_id}/cancel", {"reason": reason})

    async def resolve(self, alarm_id: str, summary: str | None = None) -> dict:
        body = {"summary": summary} if summary else {}
        return await self._json("POST", f"/alarms/{alarm_id}/resolve", body)

    # Home visits

    async def start_visit(self, body: dict) -> tuple[int, dict]:
        """POST /visits; 201 when stored now, 200 when the same id was stored before."""
        response = await self.request("POST", "/visits", body)
        return response.status_code, response.json()

    async def visits(self, status: str | None = None) -> list[dict]:
        path = f"/visits?status={status}" if status else "/visits"
        return (await self._json("GET", path))["items"]

    async def check_in(self, visit_id: str, position: dict | None = None) -> dict:
        body = {"position": position} if position else {}
        return await self._json("POST", f"/visits/{visit_id}/check-in", body)

    async def extend_visit(self, visit_id: str, expected_end: str) -> dict:
        return await self._json("POST", f"/visits/{visit_id}/extend",
                                {"expected_end": expected_end})

    async def end_visit(self, visit_id: str) -> dict:
        return await self._json("POST", f"/visits/{visit_id}/end", {})
