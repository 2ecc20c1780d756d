"""Trygg's own WebSocket protocol (`app.realtime.server`), where it differs from a library's:
flow control and the slow client, fragments, bad UTF-8, other paths, shutdown."""

import asyncio
import json
import socket
import uuid

import httpx
import pytest
import websockets
from websockets.frames import Frame, Opcode

from tests.conftest import LiveServer, server_settings
from tests.helpers import WsClient, bearer, raise_alarm

TOO_SLOW = 4429
INVALID_DATA = 1007
GOING_AWAY = 1012


@pytest.fixture
async def small_queue_server(database_url, tmp_path):
    live = LiveServer(server_settings(database_url, tmp_path, ws_send_queue=4,
                                      heartbeat_interval_s=60))
    await live.start()
    yield live
    await live.stop()


async def test_a_client_that_stops_reading_is_closed_with_4429_and_others_get_everything(
        small_queue_server, fresh_org):
    live = small_queue_server
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", live.port))
    sock.setblocking(False)
    # max_queue=1: the client stops reading its socket once one frame is waiting unread.
    slow = await websockets.connect(live.ws_url, sock=sock, compression=None, max_queue=1,
                                    additional_headers=bearer(fresh_org["responder"].token))
    reader = await WsClient.connect(live.ws_url, fresh_org["responder2"].token)
    await reader.wait_hello()
    # Small buffers on the server's side of the slow socket too, so it fills within a few
    # alarms rather than megabytes.
    slow_user = uuid.UUID(fresh_org["responder"].id)
    (server_side,) = live.app.state.hub.by_user[slow_user]
    transport = server_side.socket.transport
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    transport.set_write_buffer_limits(high=4096)
    await asyncio.sleep(1)  # past the moment after hello when live frames wait for a resume
    raised = []
    async with httpx.AsyncClient(base_url=live.api_url, timeout=60) as api:
        staff = fresh_org["staff"]
        for _ in range(100):
            alarm = (await raise_alarm(api, staff, location_note="x" * 1000)).json()
            raised.append(alarm["id"])
            await api.post(f"/alarms/{alarm['id']}/resolve", json={}, headers=staff.headers)
            if not live.app.state.hub.by_user.get(slow_user):
                break  # the slow connection is gone from the hub
        else:
            pytest.fail("a client that never reads was never closed")
        got = [f["alarm"]["id"] for f in await reader.events_for(2.0)
               if f["event"]["type"] == "alarm.raised"]
        assert got == raised  # the reader missed nothing, in order
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(30):
            while True:
                await slow.recv()
    assert slow.close_code == TOO_SLOW
    await reader.close()


async def test_a_fragmented_frame_is_read_as_one_message(connect, org):
    client = await connect(org["responder"].token)
    await client.ws.send(iter(['{"type":', ' "heart', 'beat"}']))
    await client.next_of("heartbeat_ack")


async def test_a_text_frame_that_is_not_utf8_closes_with_1007(connect, org):
    client = await connect(org["responder"].token)
    client.ws.protocol.send_frame(Frame(Opcode.TEXT, b'{"type": "\xff\xfe"}'))
    client.ws.send_data()
    assert await client.closed_code() == INVALID_DATA


async def test_frames_sent_before_hello_are_answered_after_it_in_order(server, org):
    async with websockets.connect(server.ws_url, compression=None,
                                  additional_headers=bearer(org["responder"].token)) as ws:
        for _ in range(3):
            await ws.send(json.dumps({"type": "heartbeat"}))
        kinds = []
        async with asyncio.timeout(5):
            while kinds.count("heartbeat_ack") < 3:
                kinds.append(json.loads(await ws.recv())["type"])
        assert kinds[0] == "hello"


async def test_other_websocket_paths_go_to_the_app_and_are_refused(server, org):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url + "x",
                                 additional_headers=bearer(org["responder"].token))
    assert refused.value.response.status_code in (403, 404)
    # A query string does not change the endpoint.
    client = await WsClient.connect(server.ws_url + "?v=1", org["responder"].token)
    assert (await client.wait_hello())["type"] == "hello"
    await client.close()


async def test_a_server_that_stops_closes_its_connections_with_1012(database_url, tmp_path, org):
    live = LiveServer(server_settings(database_url, tmp_path))
    await live.start()
    client = await WsClient.connect(live.ws_url, org["responder"].token)
    await client.wait_hello()
    await live.stop()
    assert await client.closed_code() == GOING_AWAY
