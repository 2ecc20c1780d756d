"""The web pages: the phone alarm (`/m/`) and the managers' console (`/console/`).

Pages are server-rendered shells (their security headers, like every response's, come from
`app.middleware.SecurityHeaders`) in the reader's language; the scripts they load call the
public API with a bearer token kept in browser storage (never in a cookie), so no request is
authenticated by the browser on its own and cross-site request forgery has nothing to ride on.
"""

import json
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.web import i18n

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_URL = "/static/web"
LANG_COOKIE = "trygg_lang"

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


def _lang(request: Request) -> tuple[str, bool]:
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        return asked, True
    cookie = request.cookies.get(LANG_COOKIE)
    return (cookie if cookie in i18n.LANGUAGES else i18n.DEFAULT), False


def render(request: Request, template: str, **context: object) -> HTMLResponse:
    lang, chosen = _lang(request)
    texts = i18n.pick(lang)
    response = templates.TemplateResponse(request, template, {
        "lang": lang, "t": texts,
        "static": STATIC_URL, **context,
    })
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/m", response_class=RedirectResponse)
async def phone_redirect() -> RedirectResponse:
    return RedirectResponse("/m/")


@router.get("/m/", response_class=HTMLResponse)
async def phone(request: Request) -> HTMLResponse:
    return render(request, "phone.html")


@router.get("/m/sw.js")
async def service_worker() -> Response:
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.get("/m/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    lang, _ = _lang(request)
    texts = i18n.pick(lang)
    body = {
        "name": texts["m_title"], "short_name": "Trygg", "lang": lang,
        "start_url": "/m/", "scope": "/m/", "display": "standalone",
        "background_color": "#111418", "theme_color": "#111418",
        "icons": [{"src": f"{STATIC_URL}/icon-192.png", "sizes": "192x192", "type": "image/png"},
                  {"src": f"{STATIC_URL}/icon-512.png", "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


@router.get("/console", response_class=RedirectResponse)
async def console_redirect() -> RedirectResponse:
    return RedirectResponse("/console/")


CONSOLE_PAGES = {"": "board", "login": "login", "alarms": "alarms", "stats": "stats",
                 "readiness": "readiness", "admin": "admin", "register": "register"}


@router.get("/console/alarms/{alarm_id}", response_class=HTMLResponse)
async def console_alarm(request: Request, alarm_id: uuid.UUID) -> HTMLResponse:
    return render(request, "console/alarm.html", page="alarm", alarm_id=str(alarm_id))


@router.get("/console/{name}", response_class=HTMLResponse)
@router.get("/console/", response_class=HTMLResponse)
async def console(request: Request, name: str = "") -> Response:
    page = CONSOLE_PAGES.get(name)
    if page is None:
        return HTMLResponse("Not found", 404)
    return render(request, f"console/{page}.html", page=page)
