"""No page, email or message shows an internal code or a library's raw validation text.

The demo is loaded and every page reachable by following links is opened as each demo role (a
bounded crawl: every page kind, a sample of cases); every kind of form found is then posted
empty, so each refusal and each "missing answer" is seen too; a few known error
states are added (a bad sign-in, an unknown page, a bad calendar day). The emails the demo's
alerts and notices become are sent to a test SMTP server. In what a person reads (the text of
the page and the attributes a screen reader speaks, not the markup, the links or hidden inputs)
the scan looks for:

- a snake_case code (`strategy_discussion`, `childrens_social_care`), a region's code
  (`england-and-wales`) or a calendar version string: every code has a label;
- pydantic's wording ("Field required", "Input should be ...");
- raw JSON outside `/api` (`{"detail": ...}`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from calendars import FixedClock
from esafety_flow.bootstrap import App, bootstrap
from esafety_flow.cli.serve_cmd import web_context
from esafety_flow.demo import demo_settings, load_demo_into
from esafety_flow.notify import jobs
from esafety_flow.web import create_app
from tests.notify.servers import SmtpSink
from tests.web.conftest import csrf_of, sign_in

NOW = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)  # a Wednesday, British Summer Time

ROLES = ("pat", "morgan", "hannah", "lee", "ada", "audrey")
CASES_PER_ROLE = 12
"""Case pages opened per role (each with its sub-pages): every state of the demo is among the
first ones a caseload lists, and the rest repeat the same templates."""

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
OTHER_CODES = re.compile(
    r"\b(?:england-and-wales|northern-ireland)\b|holidays-\d|/extra:|closure:", re.IGNORECASE
)
"""Regions as codes and the calendar's version string."""
LIBRARY_WORDING = re.compile(
    r"Field required|Input should|valid date or datetime|validation error|"
    r"String should|Value error,|value is not a valid|Extra inputs are not permitted|"
    r"Traceback|\bdata\.[a-z]"
)
SPOKEN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
SKIPPED_LINKS = ("/static/", "/api/", "/sign-out", "/docs")
DOWNLOADS = (".csv", ".xlsx", ".xml", "/print")


class _Text(HTMLParser):
    """The text a reader sees or hears, and the page's same-site links and forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.forms: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name in SPOKEN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self.forms.append(str(values.get("action") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@dataclass
class Findings:
    seen: int = 0
    problems: dict[str, set[str]] = field(default_factory=dict)

    def scan(self, where: str, text: str) -> None:
        self.seen += 1
        codes = SNAKE_CASE.findall(text) + OTHER_CODES.findall(text)
        for found in codes + LIBRARY_WORDING.findall(text):
            self.problems.setdefault(found, set()).add(where)
        if text.lstrip().startswith('{"detail"'):
            self.problems.setdefault("raw JSON", set()).add(where)

    def report(self) -> str:
        return "\n".join(
            f"{found!r} on {', '.join(sorted(where)[:4])}"
            for found, where in sorted(self.problems.items())
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    path: Path = tmp_path_factory.mktemp("content") / "demo.db"
    app = bootstrap(demo_settings(path), clock=FixedClock(NOW))
    load_demo_into(app)
    yield app
    app.close()


def _crawl(client: TestClient, who: str, findings: Findings) -> dict[str, str]:
    """Open every page reachable from the home page; return the forms found, by action."""
    queue = deque(["/", "/caseload?scope=team", "/search?q=Riley+Evans", "/search?q=zzzz"])
    visited: set[str] = set()
    cases: list[str] = []
    forms: dict[str, str] = {}  # a form's action: the page it is on
    while queue:
        path = queue.popleft()
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path, follow_redirects=True)
        assert response.status_code < 500, f"{path} as {who}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", ""):
            findings.scan(f"{path} ({who})", response.text)
            continue
        page = _read(response.text)
        findings.scan(f"{path} ({who})", "\n".join(page.parts))
        for action in page.forms:
            forms.setdefault(action or path, path)
        for href in page.links:
            link = urlsplit(href)
            if link.scheme or link.netloc or not link.path.startswith("/"):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if link.path.startswith(SKIPPED_LINKS) or link.path.endswith(DOWNLOADS):
                continue
            if re.fullmatch(r"/cases/\d+", link.path):
                if link.path not in cases:
                    if len(cases) >= CASES_PER_ROLE:
                        continue
                    cases.append(link.path)
            elif re.match(r"/cases/\d+/", link.path) and not any(
                link.path.startswith(c + "/") for c in cases
            ):
                continue  # a sub-page of a case outside the sample
            if "page=" in link.query and not link.query.endswith("page=2"):
                continue  # page 2 of a list stands for the others
            queue.append(target)
    return forms


def _post_empty_forms(
    client: TestClient, who: str, forms: dict[str, str], findings: Findings
) -> None:
    """Post every form found with no answers (once per kind of form; an event form once per
    case): each refusal, each missing answer and each 'first do this' is read as the
    practitioner would read it. Forms that change an account or end the session are left
    alone: an empty post of those is not refused."""
    tried: set[str] = set()
    for action, on_page in forms.items():
        # an event form once per case (each state refuses differently), the others once
        kind = action if "/events/" in action else re.sub(r"\d+", "N", action)
        if kind in tried or re.search(r"sign-out|sign-in|deactivate|revoke|token|password", kind):
            continue
        tried.add(kind)
        page = client.get(on_page)
        if page.status_code != 200 or 'name="csrf_token"' not in page.text:
            continue
        data = {"csrf_token": csrf_of(page.text)}
        version = re.search(r'name="expected_version" value="(\d+)"', page.text)
        if version:
            data["expected_version"] = version.group(1)
        answer = client.post(action, data=data, follow_redirects=True)
        assert answer.status_code < 500, f"{action} as {who}: {answer.status_code}"
        findings.scan(f"POST {action} ({who})", "\n".join(_read(answer.text).parts))


def test_no_page_shows_a_code_or_library_text(demo: App) -> None:
    findings = Findings()
    for who in ROLES:
        client = TestClient(create_app(web_context(demo)), follow_redirects=False)
        sign_in(client, who)
        forms = _crawl(client, who, findings)
        _post_empty_forms(client, who, forms, findings)
    anonymous = TestClient(create_app(web_context(demo)), follow_redirects=False)
    page = anonymous.get("/sign-in")
    bad = anonymous.post(
        "/sign-in",
        data={"username": "pat", "password": "wrong", "csrf_token": csrf_of(page.text)},
    )
    findings.scan("POST /sign-in (wrong password)", "\n".join(_read(bad.text).parts))
    for path in ("/no-such-page", "/cases/999999", "/cases/abc", "/caseload?page=0"):
        answer = anonymous.get(path, follow_redirects=True)
        findings.scan(f"{path} (signed out)", "\n".join(_read(answer.text).parts))
    assert findings.seen > 150, f"the crawl read only {findings.seen} pages"
    assert not findings.problems, "codes or library text on pages:\n" + findings.report()


def _texts(message: EmailMessage) -> Iterator[str]:
    yield str(message["Subject"])
    for part in message.walk():
        if part.get_content_maintype() == "text":
            body = part.get_content()
            yield "\n".join(_read(body).parts) if part.get_content_subtype() == "html" else body


def test_no_email_shows_a_code_or_library_text(demo: App) -> None:
    sink = SmtpSink()
    sink.start()
    try:
        settings = demo.settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": sink.port}
        )
        app = App(
            settings=settings,
            engine=demo.engine,
            session_factory=demo.session_factory,
            clock=demo.clock,
            policy=demo.policy,
            region=demo.region,
        )
        jobs.queue(app)
        jobs.deliver(app, "email")
        jobs.send_digests(app, NOW)
        jobs.deliver_pending_notices(app)
    finally:
        sink.stop()
    findings = Findings()
    kinds = set()
    for message in sink.messages:
        kinds.add(str(message["Subject"]).split(":")[0])
        for text in _texts(message):
            findings.scan(str(message["Subject"]), text)
    assert len(sink.messages) >= 10, f"only {len(sink.messages)} emails to judge"
    assert len(kinds) >= 3, f"too few kinds of email to judge: {kinds}"
    assert not findings.problems, "codes or library text in emails:\n" + findings.report()
