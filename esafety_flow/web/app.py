"""The FastAPI application: pages, the JSON API, static GOV.UK Frontend assets, sessions."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response

from esafety_flow.web import api, api_records, api_work, pages, work_pages
from esafety_flow.web.common import Forbidden, NotFound, NotSignedIn, load_viewer, render
from esafety_flow.web.context import WebContext

__all__ = ["SESSION_COOKIE", "create_app"]

SESSION_COOKIE = "esafety_session"
_STATIC = __import__("pathlib").Path(__file__).parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(ctx: WebContext) -> FastAPI:
    """The web app over `ctx` (built by bootstrap, or by tests over a test database)."""
    app = FastAPI(
        title="esafety-flow",
        version="1",
        description="Online-harm safeguarding case workflow: cases, events, statutory deadlines.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = ctx
    # signed cookie (itsdangerous), HttpOnly always, SameSite=Lax; Secure behind HTTPS
    app.add_middleware(
        SessionMiddleware,
        secret_key=ctx.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=8 * 3600,
        same_site="lax",
        https_only=ctx.secure_cookies,
    )
    govuk = ctx.frontend_dir / "govuk-frontend" / "dist" / "govuk"
    if govuk.is_dir():
        app.mount("/assets", StaticFiles(directory=govuk / "assets"), name="assets")
        app.mount("/govuk", StaticFiles(directory=govuk), name="govuk")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.include_router(api.router)
    app.include_router(api_records.router)
    app.include_router(api_work.router)
    app.include_router(pages.router)
    app.include_router(work_pages.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness for load balancers (touches nothing: no database, no session)."""
        return {"status": "ok"}

    @app.exception_handler(api.ApiError)
    def _api_error(request: Request, exc: api.ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(NotSignedIn)
    def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "detail": [
                        {
                            "loc": ["header", "Authorization"],
                            "msg": "sign in first",
                            "type": "unauthorized",
                        }
                    ]
                },
                status_code=401,
            )
        target = request.url.path
        return RedirectResponse(f"/sign-in?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": [{"loc": [], "msg": str(exc), "type": "forbidden"}]}, status_code=403
            )
        return render(
            request,
            "error.html",
            {"title": "You cannot do this", "message": str(exc)},
            viewer=load_viewer(request),
            status_code=403,
        )

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": [{"loc": ["path"], "msg": str(exc), "type": "not_found"}]},
                status_code=404,
            )
        return render(
            request,
            "error.html",
            {"title": "Page not found", "message": "There is nothing here, or you may not see it."},
            viewer=load_viewer(request),
            status_code=404,
        )

    return app
