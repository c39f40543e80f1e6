"""How the web app answers errors: GOV.UK error pages outside `/api`, JSON under it.

- An unknown URL, an unknown or hidden case, a page the role may not open: the "Page not
  found" page (404); under `/api` 404 (403 for a role).
- A path parameter that is no id (`/cases/abc`): "Page not found"; under `/api` 422 naming it.
- A query parameter out of bounds: 400 naming it; under `/api` 422 naming it.
- A form without this session's security token: 403 with the reason.
- A form field with a NUL character (names pasted from elsewhere): 400 naming the field.
- A body over the size limit: 413 with the reason (pages and API).
- Anything unexpected: 500, "Sorry, there is a problem with the service" with a reference
  number that is also logged; under `/api` JSON with the reference.

A server error is logged (logger `esafety_flow.web`) with its reference, the request's method and
path (never its query string), and the exception's type and frames, never its message.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from esafety_flow.web import messages
from esafety_flow.web.common import (
    BadFormText,
    CsrfRefused,
    Forbidden,
    NotFound,
    NotSignedIn,
    load_viewer,
    render,
)
from esafety_flow.web.headers import security_headers

__all__ = ["install_error_handlers", "is_api"]

log = logging.getLogger("esafety_flow.web")

NOT_FOUND = {
    "title": "Page not found",
    "message": "If you typed the web address, check it is correct. "
    "If you followed a link, the page may not exist or you may not have access to it.",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _viewer_or_none(request: Request) -> Any:
    try:
        return load_viewer(request)
    except Exception:  # an error page must not fail on the database
        return None


def _page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message, **extra},
        viewer=_viewer_or_none(request),
        status_code=status,
    )


def _api(status: int, loc: list[Any], msg: str, kind: str) -> Response:
    return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": kind}]}, status_code=status)


def install_error_handlers(app: FastAPI, *, hsts: bool) -> None:
    """Register the handlers of the table above on `app`."""

    @app.exception_handler(NotSignedIn)
    def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if is_api(request):
            return _api(401, ["header", "Authorization"], "sign in first", "unauthorized")
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        if is_api(request):
            return _api(403, [], str(exc), "forbidden")
        return _page(request, 404, **NOT_FOUND)

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        reason = str(exc)
        return _page(
            request,
            403,
            "Your form could not be sent",
            f"{reason[:1].upper()}{reason[1:]}. Nothing was saved.",
        )

    @app.exception_handler(BadFormText)
    def _bad_text(request: Request, exc: BadFormText) -> Response:
        return _page(
            request,
            400,
            "What you entered cannot be saved",
            f"The field {exc.field} contains a NUL character (often pasted from another "
            "program), which cannot be stored. Go back, retype the value and try again. "
            "Nothing was saved.",
        )

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> Response:
        if is_api(request):
            return _api(404, ["path"], str(exc), "not_found")
        return _page(request, 404, **NOT_FOUND)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if is_api(request):
            kind = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
                exc.status_code, "http_error"
            )
            loc = ["body"] if exc.status_code == 413 else []
            response = _api(exc.status_code, loc, detail, kind)
        elif exc.status_code == 404:
            response = _page(request, 404, **NOT_FOUND)
        elif exc.status_code == 413:
            response = _page(
                request,
                413,
                "What you sent is too large",
                f"{detail[:1].upper()}{detail[1:]}. Nothing was saved.",
            )
        elif exc.status_code == 405:
            response = _page(request, 405, "Page not found", NOT_FOUND["message"])
        else:
            response = _page(request, exc.status_code, "There is a problem", detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return await request_validation_exception_handler(request, exc)
        errors = exc.errors()
        if any(e.get("loc", ("",))[0] == "path" for e in errors):
            return _page(request, 404, **NOT_FOUND)
        first = errors[0] if errors else {}
        field = str(first.get("loc", ("", "value"))[-1])[:40]
        return _page(
            request,
            400,
            "There is a problem with the address",
            messages.address_problem(field, str(first.get("type", ""))),
        )

    @app.exception_handler(Exception)
    def _server_error(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4).upper()
        log.error(
            "server error %s on %s %s",
            reference,
            request.method,
            request.url.path,
            exc_info=exc,
            extra={"reference": reference},
        )
        if is_api(request):
            response = _api(
                500, [], f"internal error (reference {reference}): nothing was saved", "server"
            )
        else:
            message = f"Try again later. If you report this, give the reference {reference}."
            try:
                response = render(
                    request,
                    "error.html",
                    {"title": "Sorry, there is a problem with the service", "message": message},
                    viewer=None,
                    status_code=500,
                )
            except Exception:  # the page itself needs the database: plain text then
                response = PlainTextResponse(
                    f"Sorry, there is a problem with the service. {message}", status_code=500
                )
        # the outermost middleware answers this one: the headers are added here
        nonce = getattr(request.state, "csp_nonce", "")
        for name, value in security_headers(request.url.path, nonce=nonce, hsts=hsts).items():
            response.headers[name] = value
        return response
