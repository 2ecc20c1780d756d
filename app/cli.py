"""The `trygg` command."""

import asyncio
import sys
import uuid
from typing import Annotated

import typer
from pydantic import ValidationError

from app import db, demo, migrations
from app.config import Settings

cli = typer.Typer(help="Trygg panic alarm server.", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
user_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
retention_cli = typer.Typer(help="Anonymisation of old alarms (README, Privacy).",
                            no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(retention_cli, name="retention")

# `/api/v1/ws` is served by Trygg's own protocol on websockets' sans-I/O layer, outside ASGI
# (app/realtime/server.py; bench/README.md has what it saves). Browsers offer
# permessage-deflate; for small alarm frames it costs memory and fan-out time, so it is off.
# A client frame over 64 KiB closes the connection with 1009 before it is parsed.
UVICORN_OPTIONS = {"ws": "app.realtime.server:WebSocketProtocol", "ws_per_message_deflate": False,
                   "ws_max_size": 64 * 1024,
                   "log_level": "info", "proxy_headers": True, "timeout_graceful_shutdown": 5}


async def _with_session(work):  # type: ignore[no-untyped-def]
    settings = Settings()
    engine = db.make_engine(settings.resolved_database_url)
    try:
        async with db.make_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


@cli.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on")] = 8000) -> None:
    """Apply pending migrations, then serve the API and the WebSocket."""
    import uvicorn

    from app.main import create_app

    settings = Settings()
    migrations.upgrade(settings.resolved_database_url)
    # X-Forwarded-For is believed only from the proxies in TRYGG_FORWARDED_ALLOW_IPS (login
    # throttling counts per client address).
    uvicorn.run(create_app(settings), host=host, port=port,
                forwarded_allow_ips=settings.forwarded_allow_ips, **UVICORN_OPTIONS)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and exit."""
    migrations.upgrade(Settings().resolved_database_url)
    typer.echo("database is up to date")


@user_cli.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(
        help="At least 12 characters, not a common password, not containing the username")],
    role: Annotated[list[str], typer.Option(help="staff, responder, manager, safety_rep or admin")],
    office: Annotated[str | None, typer.Option(help="Home office id")] = None,
    name: Annotated[str | None, typer.Option(help="Full name")] = None,
    phone: Annotated[str | None, typer.Option(help="E.164, e.g. +4791234567")] = None,
) -> None:
    """Create a user and print its id."""
    from app.auth import service as auth_service
    from app.auth.schemas import UserCreate
    from app.errors import AppError

    try:
        payload = UserCreate(username=username, password=password, full_name=name or username,
                             office_id=uuid.UUID(office) if office else None, roles=role,
                             phone=phone)
    except ValidationError as exc:
        # Field and reason only: pydantic's own text would echo the password back.
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"invalid user: {reasons}", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"invalid user: {exc}", err=True)
        raise typer.Exit(2) from None
    migrations.upgrade(Settings().resolved_database_url)
    try:
        user = asyncio.run(_with_session(
            lambda session: auth_service.create_user(session, payload=payload)))
    except AppError as exc:
        typer.echo(f"cannot create user: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(user.id))


DEMO_ENVIRONMENTS = ("development", "demo")


@cli.command("demo")
def load_demo(
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="Succeed quietly when the database already has data")] = False,
    public_passwords: Annotated[bool, typer.Option(
        "--with-public-passwords",
        help="Load it even though TRYGG_ENVIRONMENT is not development or demo")] = False,
) -> None:
    """Load a demo organisation into an empty database and print the logins. Its passwords
    are printed here and written in the README, so outside TRYGG_ENVIRONMENT=development or
    demo it refuses unless told --with-public-passwords."""
    settings = Settings()
    if settings.environment not in DEMO_ENVIRONMENTS and not public_passwords:
        typer.echo(f"TRYGG_ENVIRONMENT is {settings.environment!r}: the demo users' passwords "
                   "are public, so the demo is not loaded. Set TRYGG_ENVIRONMENT=development "
                   "(as `make run` does) or pass --with-public-passwords.", err=True)
        raise typer.Exit(1)
    migrations.upgrade(settings.resolved_database_url)

    async def work(session):  # type: ignore[no-untyped-def]
        if await demo.is_empty(session):
            await demo.load(session)
            return "loaded"
        return "demo" if await demo.has_demo_users(session) else "other"

    outcome = asyncio.run(_with_session(work))
    if outcome == "loaded":
        typer.echo("Demo organisation loaded.")
    elif outcome == "demo":
        typer.echo("The database already holds the demo organisation.")
    else:
        typer.echo("The database is not empty; demo not loaded.", err=not if_empty)
        if not if_empty:
            raise typer.Exit(1)
        return
    typer.echo(demo.logins_text())


@retention_cli.command("run")
def retention_run() -> None:
    """Anonymise the closed alarms and incidents older than their office's retention period
    now, and count it as today's run (the server then skips its own)."""
    from app.privacy import cli as privacy_cli

    settings = Settings()
    migrations.upgrade(settings.resolved_database_url)
    done = asyncio.run(privacy_cli.retention_run(settings))
    typer.echo(f"anonymised {done['alarms']} closed alarms")


@cli.command("export-person")
def export_person(username: str) -> None:
    """Print (JSON) everything stored about one person, for an access request (GDPR art. 15).
    The export is written to the audit log."""
    from app.privacy import cli as privacy_cli

    settings = Settings()
    migrations.upgrade(settings.resolved_database_url)
    text = asyncio.run(privacy_cli.export_person(settings, username))
    if text is None:
        typer.echo(f"no user named {username!r}", err=True)
        raise typer.Exit(1)
    typer.echo(text)


def main() -> None:
    sys.exit(cli())
