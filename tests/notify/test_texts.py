"""What a text says: one GSM-7 segment where it can, never the free-text note."""

from datetime import UTC, datetime

from app.notify import texts

AT = datetime(2026, 11, 26, 9, 5, tzinfo=UTC)


def test_norwegian_letters_fit_in_one_gsm7_segment():
    body = texts.alarm_sms(level="red", mode="real", office="NAV Grorud", room="Samtalerom 1",
                           raiser="Åse Ødegård", raised_at=AT, link="https://trygg.example/m/")
    assert texts.is_gsm7(body)
    assert len(body) <= 160
    assert body == ("RØD ALARM: Akutt fare, ring 112. NAV Grorud, Samtalerom 1. "
                    "Fra Åse Ødegård kl 10:05. Svar 1 = Jeg kommer. https://trygg.example/m/")


def test_long_names_drop_the_link_then_the_raiser_but_keep_level_and_answer():
    body = texts.alarm_sms(level="yellow", mode="drill", office="NAV " + "Vestre " * 8,
                           room="Samtalerom med et svært langt navn", raiser="Kari " * 10,
                           raised_at=AT, link="https://trygg.example/m/")
    assert len(body) <= 160
    assert body.startswith("ØVELSE: GUL ALARM: Trenger bistand.")
    assert body.endswith("Svar 1 = Jeg kommer.")
    assert "https://" not in body and "Kari" not in body


def test_a_name_outside_gsm7_is_left_out_to_keep_one_gsm7_segment():
    body = texts.alarm_sms(level="red", mode="real", office="NAV Kautokeino", room=None,
                           raiser="Máret Sárá Ŋuolja", raised_at=AT)
    assert body == "RØD ALARM: Akutt fare, ring 112. NAV Kautokeino. Kl 10:05. Svar 1 = Jeg kommer."
    assert texts.is_gsm7(body)


def test_call_says_the_alarm_twice_in_norwegian_and_escapes_names():
    twiml = texts.alarm_twiml(level="red", mode="drill", office="NAV A&B", room="Rom <1>",
                              raiser="Per", gather_url="https://t.example/g?a=1&b=2")
    assert twiml.startswith("<Response><Gather")
    assert twiml.count('<Say language="nb-NO">Dette er en øvelse.') == 2
    assert "NAV A&amp;B, Rom &lt;1&gt;" in twiml
    assert 'action="https://t.example/g?a=1&amp;b=2"' in twiml
