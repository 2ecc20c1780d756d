"""Access changes made through one process close the connections held by another (over Redis)."""

import httpx
import websockets

from tests.helpers import PASSWORD, WsClient, make_org

UNAUTHORIZED = 4401


async def test_disable_and_logout_on_one_process_close_sockets_on_the_other(
        pg_url, redis_url, cluster_factory):
    cluster = cluster_factory(pg_url, redis_url)
    procs = await cluster.start(2)
    async with httpx.AsyncClient(base_url=procs[0].api_url, timeout=10) as api:
        org = await make_org(api, cluster.admin_token)
        disabled, logged_out = org["responder"], org["responder2"]
        clients = {}
        for name, who in (("disabled", disabled), ("logged_out", logged_out),
                          ("bystander", org["manager"])):
            clients[name] = await WsClient.connect(procs[1].ws_url, who.token)
            await clients[name].wait_hello()
        login = await api.post("/auth/login", json={"username": logged_out.username,
                                                    "password": PASSWORD})
        other_token = login.json()["access_token"]
        kept = await WsClient.connect(procs[1].ws_url, other_token)
        await kept.wait_hello()

        response = await api.patch(f"/users/{disabled.id}", json={"is_active": False},
                                   headers=org.admin_headers)
        assert response.status_code == 200, response.text
        assert (await api.post("/auth/logout", headers=logged_out.headers)).status_code == 204

        assert await clients["disabled"].closed_code() == UNAUTHORIZED
        assert await clients["logged_out"].closed_code() == UNAUTHORIZED
        for still in (clients["bystander"], kept):
            await still.send({"type": "heartbeat"})
            await still.next_of("heartbeat_ack")
        # The other process no longer accepts the token either, though it had it cached.
        again = await WsClient.connect(procs[1].ws_url, logged_out.token)
        assert await again.closed_code() == UNAUTHORIZED
        for client in (*clients.values(), kept, again):
            try:
                await client.close()
            except websockets.ConnectionClosed:
                pass
