"""The REST side of Web Push: the server's key, and each user's own subscriptions."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.push.browser import BrowserSubscription, b64url

FCM = "https://fcm.googleapis.com"


async def subscribe(api, person, body):
    return await api.post("/push/subscriptions", json=body, headers=person.headers)


async def stored(api, person):
    response = await api.get("/push/subscriptions", headers=person.headers)
    assert response.status_code == 200
    return response.json()


async def test_public_key_is_an_uncompressed_p256_point(api, org):
    response = await api.get("/push/key", headers=org["responder"].headers)
    assert response.status_code == 200
    raw = base64.urlsafe_b64decode(response.json()["public_key"] + "==")
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    again = await api.get("/push/key", headers=org["staff"].headers)
    assert again.json() == response.json()


async def test_push_key_needs_a_login(api):
    response = await api.get("/push/key")
    assert response.status_code == 401
    assert response.json()["error"] == "missing_token"


async def test_same_endpoint_again_returns_the_same_subscription(api, org):
    browser = BrowserSubscription.at(FCM + "/fcm/send")
    first = await subscribe(api, org["responder"], browser.to_json())
    assert first.status_code == 201, first.text
    body = first.json()
    assert set(body) >= {"id", "endpoint", "created_at"}
    assert body["endpoint"] == browser.endpoint
    again = await subscribe(api, org["responder"], browser.to_json())
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert [s["id"] for s in await stored(api, org["responder"])].count(body["id"]) == 1


async def test_subscriptions_are_listed_and_deleted_by_their_owner_only(api, org):
    mine = (await subscribe(api, org["responder2"],
                            BrowserSubscription.at(FCM + "/fcm/send").to_json())).json()
    theirs = (await subscribe(api, org["manager"],
                              BrowserSubscription.at(FCM + "/fcm/send").to_json())).json()
    assert [s["id"] for s in await stored(api, org["responder2"])] == [mine["id"]]
    assert theirs["id"] not in [s["id"] for s in await stored(api, org["responder2"])]

    refused = await api.delete(f"/push/subscriptions/{theirs['id']}",
                               headers=org["responder2"].headers)
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert [s["id"] for s in await stored(api, org["manager"])] == [theirs["id"]]

    deleted = await api.delete(f"/push/subscriptions/{mine['id']}",
                               headers=org["responder2"].headers)
    assert deleted.status_code == 204
    assert await stored(api, org["responder2"]) == []
    gone = await api.delete(f"/push/subscriptions/{mine['id']}", headers=org["responder2"].headers)
    assert gone.status_code == 404


async def test_an_endpoint_of_another_user_is_not_taken_without_its_keys(api, org):
    browser = BrowserSubscription.at(FCM + "/fcm/send")
    await subscribe(api, org["manager"], browser.to_json())
    stranger = BrowserSubscription(endpoint=browser.endpoint)  # same URL, other keys
    response = await subscribe(api, org["other_responder"], stranger.to_json())
    assert response.status_code == 409
    assert response.json()["error"] == "push_endpoint_taken"
    assert browser.endpoint in [s["endpoint"] for s in await stored(api, org["manager"])]
    assert await stored(api, org["other_responder"]) == []


@pytest.mark.parametrize("endpoint", [
    "https://evil.example/push/1",
    "http://fcm.googleapis.com/fcm/send/1",  # other scheme
    "https://fcm.googleapis.com:8443/fcm/send/1",  # other port
    "https://fcm.googleapis.com@evil.example/fcm/send/1",  # userinfo
    "https://user:pw@fcm.googleapis.com/fcm/send/1",
    "https://fcm.googleapis.com.evil.example/fcm/send/1",  # look-alike host
    "https://evilfcm.googleapis.com/fcm/send/1",
    "https://notify.windows.com/w/1",  # the wildcard is for subdomains only
    "https://x.notify.windows.com.evil.example/w/1",
    "https://fcm.googleapis.com\\@evil.example/fcm/send/1",
    "https://127.0.0.1/push/1",
    "http://169.254.169.254/latest/meta-data",
    "file:///etc/passwd",
    "fcm.googleapis.com/fcm/send/1",
    "https://fcm.googleapis.com /fcm/send/1",
])
async def test_endpoint_outside_the_allowed_origins_is_refused_and_nothing_stored(
        api, org, endpoint):
    browser = BrowserSubscription(endpoint=endpoint)
    response = await subscribe(api, org["other_manager"], browser.to_json())
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "push_endpoint_not_allowed"
    assert await stored(api, org["other_manager"]) == []


async def test_wildcard_origin_admits_its_subdomains(api, org):
    browser = BrowserSubscription.at("https://db5p.notify.windows.com/w")
    response = await subscribe(api, org["other_staff"], browser.to_json())
    assert response.status_code == 201, response.text


def _bad_keys():
    good = BrowserSubscription.at(FCM)
    keys = good.to_json()["keys"]
    off_curve = bytearray(good.public_key)
    off_curve[-1] ^= 1
    compressed = b"\x02" + good.public_key[1:33]
    return [
        ("p256dh", b64url(bytes(off_curve))),  # not on the curve
        ("p256dh", b64url(compressed)),  # compressed form
        ("p256dh", b64url(good.public_key[:64])),
        ("p256dh", "not base64!"),
        ("p256dh", ""),
        ("auth", b64url(b"x" * 15)),
        ("auth", b64url(b"x" * 32)),
        ("auth", "***"),
        (None, keys),
    ]


@pytest.mark.parametrize("field,value", _bad_keys())
async def test_bad_keys_are_refused_and_nothing_stored(api, org, field, value):
    body = BrowserSubscription.at(FCM + "/fcm/send").to_json()
    if field is None:
        del body["keys"]["auth"]
    else:
        body["keys"][field] = value
    response = await subscribe(api, org["other_manager"], body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert await stored(api, org["other_manager"]) == []
