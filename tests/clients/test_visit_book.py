"""The open visits a running client follows: `hello` says what is open, a replayed older frame
never takes the view back in time."""

from trygg_client.visits import VisitBook


def visit(visit_id: str, status: str = "active", **fields) -> dict:
    return {"id": visit_id, "status": status, "started_at": f"2025-01-01T10:0{visit_id}:00+00:00",
            "warned_at": None, **fields}


def frame(seq: int, snapshot: dict, kind: str) -> dict:
    return {"type": "event", "seq": seq, "alarm": None, "visit": snapshot,
            "event": {"seq": seq, "type": kind, "data": {"visit_id": snapshot["id"]}}}


def test_a_replayed_older_frame_does_not_bring_back_a_warning_or_a_closed_visit():
    book = VisitBook()
    book.apply_hello({"seq": 10, "open_visits": [visit("1")]})
    # Older than the view `hello` gave: visit 1's warning was answered, visit 2 has ended.
    assert not book.apply_event(frame(8, visit("1", warned_at="2025-01-01T10:30:00+00:00"),
                                      "visit.due"))
    assert not book.apply_event(frame(9, visit("2"), "visit.started"))
    assert book.open_visits() == [visit("1")]

    assert book.apply_event(frame(11, visit("2"), "visit.started"))
    assert book.apply_event(frame(12, visit("1", "ended"), "visit.ended"))
    assert [v["id"] for v in book.open_visits()] == ["2"]
    # A new hello is the whole truth: what it leaves out is gone.
    book.apply_hello({"seq": 20, "open_visits": []})
    assert book.open_visits() == []
