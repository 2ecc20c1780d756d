"""Visits in the console's data: the board's open visits, statistics, the CSV export."""

import csv
import io

from tests.conftest import create_admin_token
from tests.helpers import make_org
from tests.visit.conftest import at, visit_frame


async def overdue_visit(api, person, watcher, place: str) -> dict:
    visit = (await api.post("/visits", json={"place": place, "expected_end": at(1)},
                            headers=person.headers)).json()
    frame = await visit_frame(watcher, visit["id"], "visit.overdue")
    return frame["visit"]


async def test_board_stats_and_export_show_visits(tapi, timer_server, tconnect):
    org = await make_org(tapi, await create_admin_token(timer_server))
    staff, manager = org["staff"], org["manager"]
    watcher = await tconnect(manager.token)
    false_one = await overdue_visit(tapi, staff, watcher, "Falsk alarm-gata 1")
    real_one = await overdue_visit(tapi, staff, watcher, "Ekte alarm-gata 2")
    ended = (await tapi.post("/visits", json={"place": "Rolig vei 3", "expected_end": at(3600)},
                             headers=staff.headers)).json()
    await tapi.post(f"/visits/{ended['id']}/end", headers=staff.headers)
    active = (await tapi.post("/visits", json={"place": "Pågår 4", "expected_end": at(3600)},
                              headers=staff.headers)).json()

    board = (await tapi.get("/visits", params={"status": "open"},
                            headers=manager.headers)).json()["items"]
    assert {v["id"] for v in board} == {false_one["id"], real_one["id"], active["id"]}
    assert all(v["due_at"] for v in board)

    cancel = await tapi.post(f"/alarms/{false_one['alarm_id']}/cancel",
                             json={"reason": "glemte å sjekke inn"}, headers=staff.headers)
    assert cancel.status_code == 200
    resolve = await tapi.post(f"/alarms/{real_one['alarm_id']}/resolve", json={},
                              headers=manager.headers)
    assert resolve.status_code == 200
    board = (await tapi.get("/visits", params={"status": "open"},
                            headers=manager.headers)).json()["items"]
    assert [v["id"] for v in board] == [active["id"]]
    overdue = (await tapi.get("/visits", params={"status": "overdue"},
                              headers=manager.headers)).json()["items"]
    assert {v["id"] for v in overdue} == {false_one["id"], real_one["id"]}

    stats = (await tapi.get("/stats", headers=manager.headers)).json()
    assert stats["visits"] == [{"office_id": org.office["id"], "office_name": org.office["name"],
                                "visits": 4, "overdue": 2, "false_overdue": 1}]

    export = await tapi.get("/exports/alarms.csv", headers=manager.headers)
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    by_id = {r["id"]: r for r in rows}
    assert by_id[false_one["alarm_id"]]["visit_id"] == false_one["id"]
    assert by_id[false_one["alarm_id"]]["visit_place"] == "Falsk alarm-gata 1"
    assert by_id[real_one["alarm_id"]]["visit_place"] == "Ekte alarm-gata 2"
    assert by_id[real_one["alarm_id"]]["visit_started_at"] == real_one["started_at"].replace(
        "Z", "+00:00")

