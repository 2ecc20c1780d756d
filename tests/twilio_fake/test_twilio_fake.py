import re
import threading
from collections.abc import Iterator

import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from . import FakeTwilio, response_errors, twilio_client

TO = "+4791234567"
FROM = "+4790000000"
CALLBACK = "https://trygg.example.no/api/v1/twilio/status"
TWIML = '<Response><Say language="nb-NO">Alarm i rom 2</Say></Response>'


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


def send_text(fake: FakeTwilio, **overrides):
    params = {"to": TO, "from_": FROM, "body": "ALARM (rød): rom 2", "status_callback": CALLBACK}
    return twilio_client(fake).messages.create(**(params | overrides))


def raw_post(fake: FakeTwilio, resource: str, data: dict) -> httpx.Response:
    """A form POST that bypasses the twilio library, to send what it would not."""
    return httpx.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/{resource}.json",
        data=data,
        auth=(fake.account_sid, fake.auth_token),
    )


def test_text_sent_with_the_twilio_library_is_created_and_recorded(fake):
    message = send_text(fake, validity_period=300)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert message.to == TO
    [recorded] = fake.messages
    assert recorded.sid == message.sid
    assert recorded.params == {
        "To": TO,
        "From": FROM,
        "Body": "ALARM (rød): rom 2",
        "StatusCallback": CALLBACK,
        "ValidityPeriod": "300",
    }
    assert fake.violations == []


def test_call_with_twiml_is_created_and_recorded(fake):
    call = twilio_client(fake).calls.create(
        to=TO,
        from_=FROM,
        twiml=TWIML,
        status_callback=CALLBACK,
        status_callback_event=["initiated", "completed"],
    )

    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert call.status == "queued"
    [recorded] = fake.calls
    assert recorded.sid == call.sid
    assert recorded.params["Twiml"] == TWIML
    assert recorded.params["StatusCallbackEvent"] == ["initiated", "completed"]
    assert fake.messages == []
    assert fake.violations == []


def test_created_resources_have_every_field_of_twilios_response_schema(fake):
    send_text(fake)
    twilio_client(fake).calls.create(to=TO, from_=FROM, twiml=TWIML)

    for recorded in fake.requests:
        assert recorded.status == 201
        assert response_errors(recorded.kind, recorded.body) == []


def test_scripted_500s_surface_as_twilio_rest_exceptions_then_sending_recovers(fake):
    fake.fail_next(500, count=3)

    for _ in range(3):
        with pytest.raises(TwilioRestException) as failure:
            send_text(fake)
        assert failure.value.status == 500
        assert failure.value.code == 20500
    send_text(fake)

    assert [r.status for r in fake.requests] == [500, 500, 500, 201]
    assert len(fake.messages) == 1
    assert fake.violations == []


def test_scripted_21211_surfaces_with_twilios_code_and_message(fake):
    fake.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")

    with pytest.raises(TwilioRestException) as failure:
        send_text(fake)

    assert failure.value.status == 400
    assert failure.value.code == 21211
    assert "The 'To' number is not a valid phone number." in failure.value.msg
    assert fake.messages == []
    assert fake.violations == []


def test_scripted_429_has_twilios_error_body_and_retry_after(fake):
    fake.fail_next(429, retry_after=3)

    response = raw_post(fake, "Messages", {"To": TO, "From": FROM, "Body": "x"})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }


def test_failure_scripted_for_calls_leaves_texts_alone(fake):
    fake.fail_next(503, kind="call")

    send_text(fake)
    with pytest.raises(TwilioRestException) as failure:
        twilio_client(fake).calls.create(to=TO, from_=FROM, twiml=TWIML)

    assert failure.value.status == 503
    assert len(fake.messages) == 1


def test_unknown_parameter_is_refused_and_recorded_as_a_violation(fake):
    response = raw_post(
        fake, "Messages", {"To": TO, "From": FROM, "Body": "x", "ValidityPerod": "300"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == 20001
    [violation] = fake.violations
    assert violation.params["ValidityPerod"] == "300"
    assert [p.code for p in violation.problems] == [20001]
    assert fake.messages == []


def test_text_without_to_is_refused_like_twilio_and_recorded_as_a_violation(fake):
    with pytest.raises(TwilioRestException) as failure:
        send_text(fake, to="")

    assert failure.value.status == 400
    assert failure.value.code == 21604
    [violation] = fake.violations
    assert violation.kind == "sms"
    assert violation.problems[0].code == 21604


def test_call_without_from_is_a_violation(fake):
    response = raw_post(fake, "Calls", {"To": TO, "Twiml": TWIML})

    assert response.json()["code"] == 21213
    assert len(fake.violations) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"ValidityPeriod": "36001"}, 21624),
        ({"ValidityPeriod": "0"}, 21624),
        ({"ValidityPeriod": "five minutes"}, 21624),
        ({"To": "91234567"}, 21211),  # no country code
        ({"StatusCallback": "/api/v1/twilio/status"}, 21609),  # not absolute
        ({"Body": "x" * 1601}, 21617),
        ({"Body": ""}, 21602),
        ({"SmartEncoded": "yes"}, 400),  # boolean
        ({"ContentRetention": "forever"}, 400),  # enum
    ],
)
def test_text_breaking_the_spec_is_a_violation_with_twilios_code(fake, params, code):
    response = raw_post(fake, "Messages", {"To": TO, "From": FROM, "Body": "x"} | params)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert len(fake.violations) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 21205),  # neither Url nor Twiml
        ({"Url": "https://trygg.example.no/twiml", "Twiml": TWIML}, 400),
        ({"Twiml": "<Say>Alarm</Say>"}, 400),  # TwiML's root is <Response>
        ({"Twiml": TWIML, "Timeout": "601"}, 400),
        ({"Twiml": TWIML, "StatusCallbackMethod": "PUT"}, 400),
    ],
)
def test_call_breaking_the_spec_is_a_violation(fake, params, code):
    response = raw_post(fake, "Calls", {"To": TO, "From": FROM} | params)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert len(fake.violations) == 1


def test_path_outside_the_subset_is_a_violation(fake):
    response = httpx.get(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        auth=(fake.account_sid, fake.auth_token),
    )

    assert response.status_code == 404
    assert response.json()["code"] == 20404
    assert len(fake.violations) == 1


def test_wrong_credentials_get_401_and_create_nothing(fake):
    client = twilio_client(fake, auth_token="not-the-token")

    with pytest.raises(TwilioRestException) as failure:
        client.messages.create(to=TO, from_=FROM, body="x")

    assert failure.value.status == 401
    assert failure.value.code == 20003
    assert fake.messages == []
    assert [r.status for r in fake.requests] == [401]


def test_wait_for_returns_once_texts_sent_from_another_thread_arrive(fake):
    sender = threading.Timer(0.2, lambda: [send_text(fake, body=f"#{i}") for i in range(2)])
    sender.start()

    received = fake.wait_for(2, kind="sms", timeout=10)

    sender.join()
    assert [r.params["Body"] for r in received] == ["#0", "#1"]


def test_wait_for_times_out_with_what_arrived(fake):
    send_text(fake)

    with pytest.raises(AssertionError, match="got 0"):
        fake.wait_for(1, kind="call", timeout=0.1)


def test_sign_gives_a_signature_twilios_validator_accepts(fake):
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}

    signature = fake.sign(CALLBACK, params)

    assert RequestValidator(fake.auth_token).validate(CALLBACK, params, signature)
    assert not RequestValidator("another-token").validate(CALLBACK, params, signature)


def test_status_callback_for_a_sent_text_is_signed_and_addressed_to_its_callback_url(fake):
    send_text(fake)
    [recorded] = fake.messages

    callback = fake.status_callback(recorded, "undelivered", error_code=30003)

    assert callback.url == CALLBACK
    assert callback.params["MessageSid"] == recorded.sid
    assert callback.params["MessageStatus"] == "undelivered"
    assert callback.params["ErrorCode"] == "30003"
    validator = RequestValidator(fake.auth_token)
    assert validator.validate(callback.url, callback.params, callback.headers["X-Twilio-Signature"])
    with pytest.raises(ValueError):
        fake.status_callback(recorded, "lost")


def test_after_stop_even_a_kept_alive_connection_fails():
    fake = FakeTwilio().start()
    session = requests.Session()
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    form = {"To": TO, "From": FROM, "Body": "x"}
    auth = (fake.account_sid, fake.auth_token)
    assert session.post(url, data=form, auth=auth).status_code == 201

    fake.stop()

    with pytest.raises(requests.ConnectionError):
        session.post(url, data=form, auth=auth)


def test_restarted_fake_serves_the_same_base_url_and_keeps_its_records():
    with FakeTwilio() as fake:
        send_text(fake)
        base_url = fake.base_url
        fake.stop()
        with pytest.raises(RuntimeError):
            fake.base_url  # noqa: B018

        fake.start()

        assert fake.base_url == base_url
        send_text(fake)
        assert len(fake.messages) == 2
