"""REST requests trust the token cache only as far as it is safe: a token used a moment ago
(so cached) is refused by the very next request once it is logged out, revoked by a password
change or reset, or its user is disabled; a changed role or office applies at once."""

import uuid

from tests.helpers import PASSWORD, bearer, create_person, raise_alarm


async def person(api, org, roles=("staff",)):
    return await create_person(api, org.admin_token, roles=list(roles),
                               office_id=org.office["id"], name="Cato Cached")


async def used(api, token: str) -> dict:
    """One REST request with the token (which caches it); returns /me."""
    response = await api.get("/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


async def second_login(api, who) -> str:
    response = await api.post("/auth/login", json={"username": who.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_the_test_server_uses_the_rest_token_cache(server):
    assert server.app.state.rest_grants is not None


async def test_a_logged_out_token_is_refused_by_the_next_request(api, org):
    target = await person(api, org)
    other = await second_login(api, target)
    await used(api, target.token)
    await used(api, other)
    assert (await api.post("/auth/logout", headers=target.headers)).status_code == 204
    refused = await api.get("/me", headers=target.headers)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert (await raise_alarm(api, target)).status_code == 401
    await used(api, other)


async def test_a_disabled_user_is_refused_by_the_next_request(api, org):
    target = await person(api, org)
    await used(api, target.token)
    response = await api.patch(f"/users/{target.id}", json={"is_active": False},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert (await raise_alarm(api, target)).status_code == 401
    assert (await api.get("/me", headers=target.headers)).status_code == 401


async def test_a_changed_role_or_office_applies_to_the_next_request(api, org):
    target = await person(api, org)
    assert (await raise_alarm(api, target)).status_code == 201
    response = await api.patch(f"/users/{target.id}", json={"roles": ["responder"]},
                               headers=org.admin_headers)
    assert response.status_code == 200, response.text
    refused = await raise_alarm(api, target)
    assert refused.status_code == 403, refused.text
    assert (await used(api, target.token))["roles"] == ["responder"]
    response = await api.patch(f"/users/{target.id}", json={
        "roles": ["staff"], "office_id": org.other_office["id"]}, headers=org.admin_headers)
    assert response.status_code == 200, response.text
    raised = await raise_alarm(api, target)
    assert raised.status_code == 201, raised.text
    assert raised.json()["office_id"] == org.other_office["id"]


async def test_a_password_change_refuses_the_other_tokens_at_once(api, org):
    target = await person(api, org)
    other = await second_login(api, target)
    await used(api, other)
    new_password = f"Nytt-passord-{uuid.uuid4().hex[:8]}"
    response = await api.post("/auth/password", json={
        "current_password": PASSWORD, "new_password": new_password}, headers=target.headers)
    assert response.status_code == 204, response.text
    assert (await api.get("/me", headers=bearer(other))).status_code == 401
    await used(api, target.token)


async def test_a_password_reset_refuses_every_token_at_once(api, org):
    target = await person(api, org)
    await used(api, target.token)
    response = await api.post(f"/users/{target.id}/password",
                              json={"new_password": f"Tilbakestilt-{uuid.uuid4().hex[:8]}"},
                              headers=org.admin_headers)
    assert response.status_code == 204, response.text
    assert (await api.get("/me", headers=target.headers)).status_code == 401
