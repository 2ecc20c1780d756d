"""The password policy, changing one's own password, and an admin's reset."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app import demo
from app.auth import passwords
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import PASSWORD, bearer, create_person

TRYGG = str(Path(sys.executable).with_name("trygg"))

WEAK = {
    "short": "Kort-1!",
    "eleven": "abcdefghij1",
    "common": "iloveyou1234",
    "common-padded": "Password-123!",
    "common-word-digits": "sommer2026!!",
    "sequence": "123456789012",
    "keyboard": "qwertyuiopas",
    "repeated": "aaaaaaaaaaaaaaaa",
    "username-inside": "{username}-is-my-secret",
}


@pytest.mark.parametrize("kind", WEAK)
async def test_a_weak_password_is_refused_with_422_naming_the_field(api, org, kind):
    username = f"weak-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": WEAK[kind].format(username=username),
            "full_name": "Vera Weak", "office_id": org.office["id"], "roles": ["staff"]}
    response = await api.post("/users", json=body, headers=org.admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert [d["field"] for d in response.json()["detail"]] == ["password"]
    assert body["password"] not in response.text
    users = (await api.get("/users", headers=org.admin_headers)).json()
    assert username not in {u["username"] for u in users}


def test_the_passwords_the_project_ships_meet_the_policy():
    for user in demo.USERS:
        assert passwords.problem(demo.DEMO_PASSWORD, username=user.username) is None
    assert passwords.problem(PASSWORD, username="siri-0123abcd") is None
    assert passwords.problem(ADMIN_PASSWORD, username="admin-0123ab") is None


def test_user_create_on_the_command_line_applies_the_policy(tmp_path):
    env = {**os.environ, "TRYGG_DATA_DIR": str(tmp_path),
           "TRYGG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    weak = subprocess.run([TRYGG, "user", "create", "root", "--password", "password-1234",
                           "--role", "admin"], env=env, capture_output=True, text=True, timeout=60)
    assert weak.returncode == 2
    assert "too common" in weak.stderr and "password-1234" not in weak.stderr
    strong = subprocess.run([TRYGG, "user", "create", "root", "--password", PASSWORD,
                             "--role", "admin"], env=env, capture_output=True, text=True, timeout=60)
    assert strong.returncode == 0, strong.stderr
    uuid.UUID(strong.stdout.strip())


async def login(api, username, password):
    return await api.post("/auth/login", json={"username": username, "password": password})


async def test_changing_ones_own_password_revokes_the_other_login_tokens(api, org):
    me = await create_person(api, org.admin_token, roles=["staff"], office_id=org.office["id"],
                             name="Pia Passord")
    other_session = (await login(api, me.username, PASSWORD)).json()["access_token"]
    device = (await api.post("/devices", json={"user_id": me.id, "kind": "desktop"},
                             headers=me.headers)).json()["token"]
    new = "a-whole-new-sentence-42"
    response = await api.post("/auth/password", json={"current_password": PASSWORD,
                                                       "new_password": new}, headers=me.headers)
    assert response.status_code == 204, response.text
    assert (await api.get("/me", headers=me.headers)).status_code == 200
    assert (await api.get("/me", headers=bearer(other_session))).status_code == 401
    assert (await api.get("/me", headers=bearer(device))).status_code == 200
    assert (await login(api, me.username, PASSWORD)).status_code == 401
    assert (await login(api, me.username, new)).status_code == 200


async def test_a_change_with_the_wrong_current_password_changes_nothing(api, org):
    me = await create_person(api, org.admin_token, roles=["staff"], office_id=org.office["id"],
                             name="Paal Passord")
    other_session = (await login(api, me.username, PASSWORD)).json()["access_token"]
    response = await api.post("/auth/password", json={
        "current_password": "not-my-password-1", "new_password": "a-whole-new-sentence-42"},
        headers=me.headers)
    assert response.status_code == 422
    assert response.json()["error"] == "wrong_password"
    assert response.json()["detail"][0]["field"] == "current_password"
    weak = await api.post("/auth/password", json={
        "current_password": PASSWORD, "new_password": f"{me.username}-2026"}, headers=me.headers)
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "new_password"
    assert (await api.get("/me", headers=bearer(other_session))).status_code == 200
    assert (await login(api, me.username, PASSWORD)).status_code == 200


async def test_an_admin_reset_revokes_every_login_and_device_token(api, org):
    target = await create_person(api, org.admin_token, roles=["staff"],
                                 office_id=org.office["id"], name="Rasmus Reset")
    device = (await api.post("/devices", json={"user_id": target.id, "kind": "mobile"},
                             headers=target.headers)).json()["token"]
    new = "reset-by-the-office-admin-9"
    refused = await api.post(f"/users/{target.id}/password", json={"new_password": new},
                             headers=org["manager"].headers)
    assert refused.status_code == 403
    assert (await api.get("/me", headers=target.headers)).status_code == 200
    weak = await api.post(f"/users/{target.id}/password", json={"new_password": "short"},
                          headers=org.admin_headers)
    assert weak.status_code == 422 and weak.json()["detail"][0]["field"] == "new_password"
    unknown = await api.post(f"/users/{uuid.uuid4()}/password", json={"new_password": new},
                             headers=org.admin_headers)
    assert unknown.status_code == 404
    response = await api.post(f"/users/{target.id}/password", json={"new_password": new},
                              headers=org.admin_headers)
    assert response.status_code == 204, response.text
    assert (await api.get("/me", headers=target.headers)).status_code == 401
    assert (await api.get("/me", headers=bearer(device))).status_code == 401
    assert (await login(api, target.username, PASSWORD)).status_code == 401
    assert (await login(api, target.username, new)).status_code == 200
