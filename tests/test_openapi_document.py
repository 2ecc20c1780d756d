"""What `/openapi.json` says about errors, and the behaviours it describes, checked directly."""

import httpx
import pytest

from tests.helpers import Org, bearer, make_org


@pytest.fixture
async def document(server) -> dict:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
async def api(server):
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
async def org(server, admin_token) -> Org:
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        return await make_org(client, admin_token)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


async def test_every_error_status_is_documented_with_the_contracts_body(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail"}
    for method, path, operation in operations(document):
        responses = operation["responses"]
        where = {p["in"] for p in operation.get("parameters", [])}
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), (method, path)
        if "path" in where:
            assert "404" in responses, (method, path)
        if where or "requestBody" in operation:
            ref = responses["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/InvalidInputBody"), (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert "$ref" in schema, (method, path, status)


async def test_a_route_needing_a_token_says_so(document):
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "security" not in document["paths"]["/api/v1/auth/login"]["post"]


async def test_options_and_wrong_methods_list_every_method_of_the_path(api, org):
    for method, path, allow in (("OPTIONS", "/alarms", "GET, POST"),
                                ("DELETE", "/alarms", "GET, POST"),
                                ("OPTIONS", f"/offices/{org.office['id']}", "GET, PATCH"),
                                ("PUT", "/users", "GET, POST")):
        response = await api.request(method, path, headers=org.admin_headers)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allow, (method, path)
        assert response.json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(("path", "params"), [
    ("/alarms", {"since": "0.5"}), ("/alarms", {"until": "1700000000"}),
    ("/stats", {"since": "0"}), ("/exports/alarms.csv", {"until": "2024-05-01 10:00:00+00:00"}),
])
async def test_a_number_or_a_loose_text_is_not_a_time(api, org, path, params):
    response = await api.get(path, params=params, headers=org["manager"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == next(iter(params))


@pytest.mark.parametrize("body", [
    {"min_responders_online": False}, {"ack_timeout_s": True}, {"ack_timeout_s": "60"},
    {"ack_timeout_s": None}, {"name": None},
])
async def test_an_office_setting_of_the_wrong_json_type_is_refused(api, org, body):
    office = f"/offices/{org.office['id']}"
    before = (await api.get(office, headers=org.admin_headers)).json()
    response = await api.patch(office, json=body, headers=org.admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == next(iter(body))
    assert (await api.get(office, headers=org.admin_headers)).json() == before


async def test_an_integral_number_written_with_a_fraction_is_an_integer(api, org):
    office = f"/offices/{org.office['id']}"
    response = await api.patch(office, json={"ack_timeout_s": 3600.0}, headers=org.admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["ack_timeout_s"] == 3600


async def test_silent_must_be_a_boolean(api, org):
    response = await api.post("/alarms", json={"level": "red", "silent": 1},
                              headers=bearer(org["staff"].token))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "silent"
