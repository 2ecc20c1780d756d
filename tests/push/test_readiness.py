"""Readiness counts a push subscription as a way to reach a responder."""

from tests.helpers import WsClient
from tests.push.conftest import make_push_org, subscribe_browser


async def reachable(api, org):
    response = await api.get(f"/offices/{org.office['id']}/readiness",
                             headers=org.manager.headers)
    assert response.status_code == 200, response.text
    return {r["user_id"]: r for r in response.json()["responders"]}


async def test_readiness_says_which_channels_reach_each_responder(
        push_server, push_api, push_admin_token, push_service):
    org = await make_push_org(push_api, push_admin_token, push_service, responders=3,
                              subscribe=False)
    pushed, connected, nowhere = org.responders
    browser = await subscribe_browser(push_api, org, pushed, push_service)
    client = await WsClient.connect(push_server.ws_url, connected.token)
    await client.wait_hello()
    try:
        by_user = await reachable(push_api, org)
        assert by_user[pushed.id]["reachable"] == ["push"]
        assert by_user[pushed.id]["online"] is False
        assert by_user[connected.id]["reachable"] == ["websocket"]
        assert by_user[nowhere.id]["reachable"] == []
    finally:
        await client.close()

    subscription = (await push_api.get("/push/subscriptions", headers=pushed.headers)).json()[0]
    assert subscription["endpoint"] == browser.endpoint
    await push_api.delete(f"/push/subscriptions/{subscription['id']}", headers=pushed.headers)
    assert (await reachable(push_api, org))[pushed.id]["reachable"] == []
