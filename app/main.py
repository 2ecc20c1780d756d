"""The ASGI application: wiring only."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from app import db
from app.alarm import reactions
from app.alarm.router import router as alarm_router
from app.audit.router import router as audit_router
from app.auth.grants import RestGrants
from app.auth.router import router as auth_router
from app.auth.security import PasswordHashing
from app.config import Settings
from app.errors import install_error_handlers
from app.health.router import router as health_router
from app.incident.router import router as incident_router
from app.middleware import BodySizeLimit, SecurityHeaders
from app.notify import dispatcher as notify_dispatcher
from app.notify import service as notify_service
from app.notify.dispatcher import Dispatcher
from app.notify.router import router as notify_router
from app.openapi import install as install_openapi
from app.org.router import router as org_router
from app.privacy.scheduler import RetentionJob
from app.push import service as push_service
from app.push.origins import parse_origins
from app.push.router import router as push_router
from app.push.vapid import vapid_key
from app.realtime import access
from app.realtime import router as realtime
from app.realtime.bus import MemoryBus, make_bus
from app.realtime.deferral import PublishAfterResponse
from app.realtime.hub import Hub
from app.stats.router import router as stats_router
from app.visit.router import router as visit_router
from app.visit.timer import VisitTimer
from app.web import router as web
from app.web.admin_api import router as web_admin_router

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.make_engine(settings.resolved_database_url)
        sessionmaker = db.make_sessionmaker(engine)
        bus = make_bus(settings.bus_url)
        await bus.connect()
        hub = Hub(bus, sessionmaker, heartbeat_interval_s=settings.heartbeat_interval_s,
                  signing_key=settings.signing_key,
                  device_idle=timedelta(days=settings.device_token_idle_days))
        dispatcher = Dispatcher(settings, sessionmaker)
        retention = RetentionJob(sessionmaker, default_days=settings.retention_days,
                                 check_s=settings.retention_check_s)
        visit_timer = VisitTimer(sessionmaker, settings.visit_timer_poll_s)

        # One process serves the database: REST may trust the token cache (app/auth/grants.py).
        rest_grants = (RestGrants(hub.tokens, sessionmaker) if isinstance(bus, MemoryBus)
                       else None)

        async def publish_access(message: dict) -> None:
            if rest_grants is not None:
                rest_grants.forget(message)
            await hub.publish_access(message)

        context = reactions.Context(settings=settings, online_users=hub.online_users)
        sessionmaker.configure(info={"publish": hub.publish_events,
                                     reactions.SESSION_KEY: context,
                                     access.SESSION_KEY: publish_access,
                                     notify_dispatcher.SESSION_KEY: dispatcher.wake_after_commit})
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.bus = bus
        app.state.hub = hub
        app.state.dispatcher = dispatcher
        app.state.rest_grants = rest_grants
        app.state.retention = retention
        app.state.password_hashing = PasswordHashing(workers=settings.password_hash_workers,
                                                     queue=settings.password_hash_queue)
        await hub.start()
        dispatcher.start()
        retention.start()
        visit_timer.start()
        try:
            yield
        finally:
            await visit_timer.stop()
            await retention.stop()
            await dispatcher.stop()
            await hub.stop()
            await bus.disconnect()
            await engine.dispose()
            app.state.password_hashing.close()

    app = FastAPI(
        title="Trygg",
        version="1",
        summary="Panic alarm and incident alert service",
        lifespan=lifespan,
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
    )
    notify_service.install()
    push_service.install()
    settings.signing_key  # noqa: B018  (create the key file at start, not on first request)
    vapid_key(settings)  # likewise the VAPID key; a bad key or origin list stops the start
    parse_origins(settings.push_endpoints)
    install_error_handlers(app)
    install_openapi(app)
    api = APIRouter(prefix=API_PREFIX)
    for router in (health_router, auth_router, web_admin_router, org_router, alarm_router,
                   incident_router, stats_router, audit_router, notify_router, push_router,
                   visit_router):
        api.include_router(router)
    app.include_router(api)
    ws_route = realtime.route(API_PREFIX)
    app.router.routes.append(ws_route)
    app.state.ws_path = ws_route.path  # served by app.realtime.server under `trygg serve`
    app.include_router(web.router)
    app.mount(web.STATIC_URL, web.static_files(), name="web_static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(PublishAfterResponse)
    # Outside Starlette's own error middleware too, so that a 500 carries the headers as well.
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(  # type: ignore[method-assign]
        build_stack(), public_url=settings.public_url, api_prefix=API_PREFIX + "/")
    return app
