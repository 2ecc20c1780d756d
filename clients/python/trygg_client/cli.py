"""The `trygg-client` command: log in, raise, acknowledge, listen and home visits, for scripts
and tests."""

import asyncio
import json
import logging
import sys
import uuid
from typing import Annotated

import httpx
import typer

from trygg_client.alarms import AlarmChange
from trygg_client.api import Api, ApiError
from trygg_client.client import TryggClient
from trygg_client.config import ClientConfig, client_home
from trygg_client.connection import Protection, Readiness
from trygg_client.outbox import RaiseState, RaiseStatus
from trygg_client.visits import current_visit_id, end_time

app = typer.Typer(help="Trygg panic alarm client.", no_args_is_help=True, add_completion=False)
visit_app = typer.Typer(help="Home visits with a lone-worker timer.", no_args_is_help=True)
app.add_typer(visit_app, name="visit")


def _setup(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _config() -> ClientConfig:
    config = ClientConfig.load()
    if config is None:
        typer.echo(f"not logged in (no config in {client_home()}): run `trygg-client login`", err=True)
        raise typer.Exit(2)
    return config


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr")]


@app.command()
def login(
    server: Annotated[str, typer.Option(help="Server URL, e.g. http://127.0.0.1:8000")],
    username: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    room: Annotated[str | None, typer.Option(help="Room id this device sits in")] = None,
    label: Annotated[str | None, typer.Option(help="Device label")] = None,
    verbose: Verbose = False,
) -> None:
    """Log in, enroll this machine as a device, and keep its token (mode 0600)."""
    _setup(verbose)

    async def enroll() -> ClientConfig:
        async with Api(server) as api:
            await api.login(username, password)
            me = await api.me()
            device = await api.enroll_device(user_id=me["id"], room_id=room, label=label)
        return ClientConfig(server_url=server, token=device["token"], user_id=me["id"],
                            username=me["username"], full_name=me["full_name"],
                            office_id=me.get("office_id"), roles=me.get("roles", []),
                            device_id=device["id"], room_id=room or device.get("room_id"))

    try:
        config = asyncio.run(enroll())
    except (ApiError, httpx.HTTPError) as exc:
        raise _fail(exc) from None
    path = config.save()
    typer.echo(f"logged in as {config.username} ({config.full_name}); device {config.device_id}; "
               f"config in {path}")


@app.command("raise")
def raise_(
    level: Annotated[str, typer.Option(help="yellow or red")],
    room: Annotated[str | None, typer.Option(help="Room id (default: the device's room)")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="An exercise (ØVELSE)")] = False,
    test: Annotated[bool, typer.Option("--test", help="A function test, back to this client only")]
    = False,
    note: Annotated[str | None, typer.Option(help="Location note")] = None,
    timeout: Annotated[float | None, typer.Option(help="Give up waiting after this many seconds "
                                                       "(the raise stays queued)")] = None,
    verbose: Verbose = False,
) -> None:
    """Raise an alarm; print its id once the server has stored it. Until then the raise is
    kept in the local queue and retried, also by the next run of this client."""
    _setup(verbose)
    if level not in ("yellow", "red"):
        raise typer.BadParameter("yellow or red", param_hint="--level")
    if drill and test:
        raise typer.BadParameter("--drill or --test, not both")
    mode = "drill" if drill else "test" if test else "real"
    config = _config()
    client = TryggClient(config, consumer="cli")
    status = client.raise_alarm(level, mode=mode, room_id=room, location_note=note)
    typer.echo(f"queued alarm {status.alarm_id}", err=True)
    told: set[str] = set()

    def tell(update: RaiseStatus) -> None:
        if update.alarm_id == status.alarm_id and update.state is RaiseState.PENDING \
                and update.attempts and "retrying" not in told:
            told.add("retrying")
            typer.echo(update.describe(), err=True)

    client.queue.on_status = tell

    async def send() -> RaiseStatus:
        runner = asyncio.create_task(client.run(live=False))
        try:
            return await asyncio.wait_for(client.queue.wait_stored(status.alarm_id), timeout)
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    try:
        final = asyncio.run(send())
    except TimeoutError:
        typer.echo(f"alarm {status.alarm_id}: not yet at the server; it stays queued and is "
                   "retried by the next run of trygg-client or the desktop client", err=True)
        raise typer.Exit(3) from None
    if final.state is RaiseState.REJECTED:
        typer.echo(final.describe(), err=True)
        raise typer.Exit(1)
    typer.echo(final.describe(), err=True)
    typer.echo(final.alarm_id)


def _answer(action: str, alarm_id: str, **kwargs: str) -> None:
    config = _config()

    async def call() -> dict:
        async with Api(config.server_url, config.token) as api:
            return await getattr(api, action)(alarm_id, **kwargs)

    try:
        alarm = asyncio.run(call())
    except (ApiError, httpx.HTTPError) as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(alarm, ensure_ascii=False))


@app.command()
def ack(alarm_id: str,
        role: Annotated[str | None, typer.Option(
            help="go (I'm coming), police (I call the police) or reception (I clear the "
                 "reception); default: the role still missing")] = None,
        verbose: Verbose = False) -> None:
    """Answer an alarm; print the alarm."""
    _setup(verbose)
    if role is not None and role not in ("go", "police", "reception"):
        raise typer.BadParameter("go, police or reception", param_hint="--role")
    _answer("acknowledge", alarm_id, **({"role": role} if role else {}))


@app.command()
def cancel(alarm_id: str, reason: Annotated[str, typer.Option()] = "false alarm",
           verbose: Verbose = False) -> None:
    """Cancel an alarm (the raiser or a manager), e.g. a false alarm."""
    _setup(verbose)
    _answer("cancel", alarm_id, reason=reason)


def _human(frame: dict) -> str:
    kind = frame.get("type")
    if kind == "event" and frame.get("alarm") is None and frame.get("visit"):
        visit, event = frame["visit"], frame["event"]
        return (f"#{frame['seq']} {event['type']} {visit['user']['full_name']} "
                f"place={visit['place']} status={visit['status']} due={visit['due_at']} "
                f"visit={visit['id']}")
    if kind == "event":
        alarm, event = frame["alarm"], frame["event"]
        room = (alarm.get("room") or {}).get("name") or "-"
        who = (event.get("actor") or {}).get("full_name") or ""
        return (f"#{frame['seq']} {event['type']} {alarm['level']} {alarm['mode']} room={room} "
                f"status={alarm['status']} {who}".rstrip() + f" alarm={alarm['id']}")
    if kind == "hello":
        return f"connected; seq {frame['seq']}; {len(frame.get('open_alarms', []))} open alarm(s)"
    if kind == "readiness":
        return f"responders online {frame['responders_online']} of {frame['min_responders_online']}"
    return json.dumps(frame, ensure_ascii=False)


@app.command()
def listen(json_lines: Annotated[bool, typer.Option("--json", help="One JSON object a line")]
           = False, verbose: Verbose = False) -> None:
    """Print every frame as it arrives (no heartbeat acks, no event twice), confirm each
    alarm shown with `received`, and report protection changes ("client.state" lines)."""
    _setup(verbose)
    config = _config()

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def frame(data: dict) -> None:
        out(json.dumps(data, ensure_ascii=False) if json_lines else _human(data))

    def state(protection: Protection, readiness: Readiness | None) -> None:
        info = {"type": "client.state", "state": str(protection)}
        if readiness is not None:
            info |= {"responders_online": readiness.responders_online,
                     "min_responders_online": readiness.min_responders_online}
        out(json.dumps(info) if json_lines else f"state: {protection}")

    client: TryggClient

    def alarm(change: AlarmChange) -> None:
        if change.is_new and not client.is_mine(change.alarm):
            client.mark_shown(str(change.alarm["id"]))

    client = TryggClient(config, consumer="listen", on_frame=frame, on_state=state, on_alarm=alarm)
    client.connection.stop_on_auth_refused = True
    try:
        asyncio.run(client.run())
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        raise _fail(exc) from None


# Home visits

def _position(lat: float | None, lon: float | None) -> dict | None:
    if (lat is None) != (lon is None):
        raise typer.BadParameter("--lat and --lon together")
    return {"lat": lat, "lon": lon} if lat is not None else None


def _end(minutes: float | None, until: str | None) -> str:
    try:
        return end_time(minutes=minutes, until=until)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _visit_call(action: str, visit_id: str | None, *args: object) -> None:
    """Run one visit action on `visit_id` (default: the caller's active visit); print it."""
    config = _config()

    async def call() -> dict:
        async with Api(config.server_url, config.token) as api:
            target = visit_id or await current_visit_id(api, config.user_id)
            return await getattr(api, action)(target, *args)

    try:
        visit = asyncio.run(call())
    except (ApiError, httpx.HTTPError, LookupError) as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps(visit, ensure_ascii=False))


Minutes = Annotated[float | None, typer.Option(help="Done this many minutes from now")]
Until = Annotated[str | None, typer.Option(help="Done at HH:MM (local) or an ISO 8601 time")]
VisitId = Annotated[str | None, typer.Argument(help="Default: your active visit")]


@visit_app.command("start")
def visit_start(
    place: Annotated[str, typer.Option(help="Where: an address, a shelter, a café")],
    minutes: Minutes = None, until: Until = None,
    interval: Annotated[int | None, typer.Option(
        help="Check in at least every this many minutes")] = None,
    lat: Annotated[float | None, typer.Option(help="Your position, if you agree to share it")]
    = None,
    lon: Annotated[float | None, typer.Option()] = None,
    verbose: Verbose = False,
) -> None:
    """Start a home visit: if you do not check in, end or extend in time, you are warned, and
    a little later your office gets a red alarm for you. Prints the visit (JSON)."""
    _setup(verbose)
    body: dict = {"id": str(uuid.uuid4()), "place": place, "expected_end": _end(minutes, until)}
    if interval is not None:
        body["check_in_interval_s"] = interval * 60
    if (position := _position(lat, lon)) is not None:
        body["position"] = position
    config = _config()

    async def call() -> dict:
        async with Api(config.server_url, config.token) as api:
            for attempt in range(3):  # the same id: a retry never starts a second visit
                try:
                    return (await api.start_visit(body))[1]
                except httpx.TransportError:
                    if attempt == 2:
                        raise
                    await asyncio.sleep(1)

    try:
        visit = asyncio.run(call())
    except (ApiError, httpx.HTTPError) as exc:
        raise _fail(exc) from None
    typer.echo(f"visit started; check in, extend or end by {visit['due_at']}", err=True)
    typer.echo(json.dumps(visit, ensure_ascii=False))


@visit_app.command("check-in")
def visit_check_in(visit_id: VisitId = None,
                   lat: Annotated[float | None, typer.Option()] = None,
                   lon: Annotated[float | None, typer.Option()] = None,
                   verbose: Verbose = False) -> None:
    """"I am safe": the next check-in is due an interval from now; a warning is over."""
    _setup(verbose)
    _visit_call("check_in", visit_id, _position(lat, lon))


@visit_app.command("extend")
def visit_extend(visit_id: VisitId = None, minutes: Minutes = None, until: Until = None,
                 verbose: Verbose = False) -> None:
    """Move the expected end of the visit."""
    _setup(verbose)
    _visit_call("extend_visit", visit_id, _end(minutes, until))


@visit_app.command("end")
def visit_end(visit_id: VisitId = None, verbose: Verbose = False) -> None:
    """The visit is over and you are safe."""
    _setup(verbose)
    _visit_call("end_visit", visit_id)


def main() -> None:
    app()
