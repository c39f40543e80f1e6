"""The FastAPI application: pages, the JSON API, static assets (GOV.UK Frontend and Swagger UI
from `node_modules`, nothing from a CDN), server-side sessions, security headers, body limits and
error pages."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from esafety_flow.web import (
    admin,
    api,
    api_records,
    api_work,
    calendar_pages,
    health,
    pages,
    people_pages,
    record_pages,
    report_pages,
    work_pages,
)
from esafety_flow.web.context import WebContext
from esafety_flow.web.errors import install_error_handlers
from esafety_flow.web.headers import SecurityHeaders
from esafety_flow.web.limits import BodyLimit
from esafety_flow.web.sessions import SESSION_COOKIE

__all__ = ["DOCS_PATH", "SESSION_COOKIE", "create_app", "swagger_page"]

_STATIC = Path(__file__).parent / "static"
DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/v1/openapi.json"


def swagger_page() -> tuple[bytes, tuple[str, ...]]:
    """FastAPI's Swagger UI page pointed at the local copy of swagger-ui-dist, and the SHA-256
    (base64) of each inline script on it, for the page's Content-Security-Policy."""
    html = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="esafety-flow API",
        swagger_js_url="/swagger/swagger-ui-bundle.js",
        swagger_css_url="/swagger/swagger-ui.css",
        swagger_favicon_url="/assets/images/favicon.ico",
    ).body
    body = bytes(html)
    scripts = re.findall(rb"<script>(.*?)</script>", body, flags=re.DOTALL)
    hashes = tuple(base64.b64encode(hashlib.sha256(s).digest()).decode() for s in scripts)
    return body, hashes


def create_app(ctx: WebContext) -> FastAPI:
    """The web app over `ctx` (built by bootstrap, or by tests over a test database)."""
    app = FastAPI(
        title="esafety-flow",
        version="1",
        description="Online-harm safeguarding case workflow: cases, events, statutory deadlines.",
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_PATH,
    )
    app.state.ctx = ctx
    docs_html, docs_hashes = swagger_page()
    # added last = outermost: the headers wrap every answer, the limit every body
    app.add_middleware(BodyLimit, max_bytes=ctx.max_request_bytes)
    app.add_middleware(
        SecurityHeaders,
        hsts=ctx.secure_cookies,
        docs_path=DOCS_PATH,
        docs_script_hashes=docs_hashes,
    )
    govuk = ctx.frontend_dir / "govuk-frontend" / "dist" / "govuk"
    if govuk.is_dir():
        app.mount("/assets", StaticFiles(directory=govuk / "assets"), name="assets")
        app.mount("/govuk", StaticFiles(directory=govuk), name="govuk")
    swagger = ctx.swagger_dir or ctx.frontend_dir / "swagger-ui-dist"
    if swagger.is_dir():
        app.mount("/swagger", StaticFiles(directory=swagger), name="swagger")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.include_router(api.router)
    app.include_router(api_records.router)
    app.include_router(api_work.router)
    app.include_router(admin.router)
    # before pages: /cases/new is not a case id
    app.include_router(people_pages.router)
    app.include_router(pages.router)
    app.include_router(work_pages.router)
    app.include_router(calendar_pages.router)
    app.include_router(record_pages.router)
    app.include_router(health.router)
    app.include_router(report_pages.router)

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """Swagger UI, every file of it served from here (works with no internet)."""
        return Response(docs_html, media_type="text/html")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness for load balancers (touches nothing: no database, no session)."""
        return {"status": "ok"}

    @app.exception_handler(api.ApiError)
    def _api_error(request: Request, exc: api.ApiError) -> Response:
        from starlette.responses import JSONResponse

        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    install_error_handlers(app, hsts=ctx.secure_cookies)
    return app
