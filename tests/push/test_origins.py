"""Which URLs count as inside TRYGG_PUSH_ENDPOINTS (the REST tests try the same through the API)."""

import pytest

from app.push import origins

SETTING = "https://fcm.googleapis.com,https://*.notify.windows.com,http://127.0.0.1:8099"


@pytest.mark.parametrize("url", [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://FCM.googleapis.com:443/fcm/send/abc",
    "https://db5p.notify.windows.com/w/?token=x",
    "https://a.b.notify.windows.com/w",
    "http://127.0.0.1:8099/push/1",
])
def test_allowed(url):
    assert origins.is_allowed(url, SETTING)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/push/1",  # default port, not the listed one
    "http://127.0.0.1:8098/push/1",
    "https://127.0.0.1:8099/push/1",  # other scheme
    "https://notify.windows.com/w",
    "https://evilnotify.windows.com/w",
    "https://fcm.googleapis.com.evil.example/x",
    "https://fcm.googleapis.com@evil.example/x",
    "https://fcm.googleapis.com:443@evil.example/x",
    "https://a@fcm.googleapis.com/x",
    "https://fcm.googleapis.com./x",
    "https://fcm..googleapis.com/x",
    "https://fcm.googleapis.com:99999/x",
    "https://fcm.googleapis.com%2f@evil.example/x",
    "https:///fcm.googleapis.com/x",
    "//fcm.googleapis.com/x",
    "https://fcm.googleapis.com/x\n",
    "https://fcm.googleapis.com/" + "x" * 2100,
])
def test_refused(url):
    assert not origins.is_allowed(url, SETTING)


def test_a_bad_setting_is_refused():
    with pytest.raises(ValueError):
        origins.parse_origins("https://fcm.googleapis.com/path")
    with pytest.raises(ValueError):
        origins.parse_origins("fcm.googleapis.com")


def test_origin_of_leaves_out_the_default_port():
    assert origins.origin_of("https://fcm.googleapis.com:443/x") == "https://fcm.googleapis.com"
    assert origins.origin_of("http://127.0.0.1:8099/p") == "http://127.0.0.1:8099"
