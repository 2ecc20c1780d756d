"""The server's retention run happens once a day across processes and restarts, and a
restart after a missed day runs it at once."""

import asyncio
from datetime import timedelta

from app.db import utcnow
from app.privacy import retention
from tests.conftest import LiveServer, server_settings


async def started(database_url, data_dir) -> LiveServer:
    live = LiveServer(server_settings(database_url, data_dir))
    await live.start()
    await asyncio.wait_for(live.app.state.retention.first_check.wait(), 60)
    return live


async def job_state(live: LiveServer) -> tuple:
    async with live.app.state.sessionmaker() as session:
        row = await retention.last_run(session)
        return row.last_run_on, row.runs


async def set_last_run(live: LiveServer, days_ago: int) -> None:
    async with live.app.state.sessionmaker() as session:
        row = await retention.last_run(session)
        row.last_run_on = utcnow().date() - timedelta(days=days_ago)
        await session.commit()


async def test_retention_runs_once_a_day_across_two_servers_and_restarts(new_database,
                                                                         tmp_path):
    database_url = await new_database()
    today = utcnow().date()
    first = await started(database_url, tmp_path / "a")
    second = await started(database_url, tmp_path / "b")
    servers = [first, second]
    try:
        # Both checked at start-up; only one of them ran it.
        assert await job_state(first) == (today, 1)
        # Asked again, at the same moment, by both: nobody runs it a second time today.
        ran = await asyncio.gather(first.app.state.retention.run_if_due(),
                                   second.app.state.retention.run_if_due())
        assert ran == [False, False]

        # A restart the same day does not run it again.
        await second.stop()
        servers.remove(second)
        servers.append(third := await started(database_url, tmp_path / "c"))
        assert await job_state(first) == (today, 1)

        # A new day: of the servers that ask at once, exactly one runs it.
        await set_last_run(first, 1)
        ran = await asyncio.gather(first.app.state.retention.run_if_due(),
                                   third.app.state.retention.run_if_due(),
                                   first.app.state.retention.run_if_due())
        assert sorted(ran) == [False, False, True]
        assert await job_state(first) == (today, 2)

        # Down over a missed day: the restart runs it at once.
        await set_last_run(first, 2)
        for live in list(servers):
            await live.stop()
            servers.remove(live)
        servers.append(fourth := await started(database_url, tmp_path / "d"))
        assert await job_state(fourth) == (today, 3)
    finally:
        for live in servers:
            await live.stop()
