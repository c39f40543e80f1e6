"""The pages of who does the work (issue 9): allocation, transfer, the unallocated lists, bulk
reassignment with its check-your-answers step, authorisation and return of an assessment, notes
with amendments, named managers, the chronology (page, print view, CSV), the work notices on the
alerts page and the dashboard's sections; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from calendars import Region
from tests.web.conftest import NOW, TEACHER, Web, csrf_of
from workflows import casework, queries
from workflows.persistence.tables import audit_events

WHEN = {
    "occurred-day": "4",
    "occurred-month": "3",
    "occurred-year": "2026",
    "occurred-time": "10:30",
}


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    token = csrf_of(client.get("/caseload").text)
    return client.post(url, data={**data, "csrf_token": token})


def _fire(
    web: Web, case_id: int, event: str, by: str, data: Any = None, hour: int = 10, minute: int = 0
) -> None:
    casework.apply_event(
        web.app.session_factory,
        case_id,
        event,
        at=NOW.replace(hour=hour, minute=minute),
        actor=by,
        data=data,
        calendar=web.app.calendar_for(Region.ENGLAND_AND_WALES),
        policy=web.app.policy,
    )


def _owner(web: Web, case_id: int) -> int | None:
    access = queries.case_access(web.app.session_factory, case_id)
    assert access is not None
    return access.owner_id


def _errors(html: str) -> list[tuple[str, str]]:
    """The error summary's (link, message) pairs."""
    summary = html.split('class="govuk-error-summary"', 1)
    if len(summary) == 1:
        return []
    return re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', summary[1].split("</ul>", 1)[0])


def test_the_case_page_shows_who_does_the_work(web: Web) -> None:
    page = web.client("pat").get(f"/cases/{web.north_case}")
    assert page.status_code == 200, page.text
    panel = page.text.split('id="work"', 1)[1]
    assert "Pat Practitioner" in panel
    assert "North Safeguarding" in panel
    assert f"/cases/{web.north_case}/allocate" not in panel  # a practitioner does not allocate
    assert "Add a note" in panel
    assert "Chronology of this case" in panel
    manager = web.client("morgan").get(f"/cases/{web.north_case}").text
    assert f"/cases/{web.north_case}/allocate" in manager
    assert f"/cases/{web.north_case}/transfer" in manager


def test_a_manager_allocates_a_case_and_the_new_owner_is_told(web: Web) -> None:
    morgan = web.client("morgan")
    form = morgan.get(f"/cases/{web.north_case}/allocate")
    assert form.status_code == 200
    assert "Sam Social-Worker" in form.text
    assert "Priya Patel" not in form.text
    done = _post(morgan, f"/cases/{web.north_case}/allocate", {"owner": "sam", **WHEN})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/cases/{web.north_case}?done=allocate"
    assert _owner(web, web.north_case) == web.users["sam"]
    notices = web.client("sam").get("/alerts").text.split('id="notices"', 1)[1]
    assert f'href="/cases/{web.north_case}"' in notices
    assert "was allocated to you" in notices
    assert "Sam Social-Worker" in morgan.get(f"/cases/{web.north_case}").text


def test_allocation_problems_are_shown_beside_their_fields_and_nothing_is_written(
    web: Web,
) -> None:
    morgan = web.client("morgan")
    url = f"/cases/{web.north_case}/allocate"
    before = casework.get_case(web.app.session_factory, web.north_case).version
    missing = _post(morgan, url, {**WHEN, "occurred-day": ""})
    assert missing.status_code == 400
    assert _errors(missing.text) == [
        ("#allocate-owner", "Select who the case is allocated to"),
        ("#allocate-occurred-day", "The date must include a day"),
    ]
    assert 'value="10:30"' in missing.text  # what was typed is kept
    other_team = _post(morgan, url, {"owner": "priya", **WHEN})
    assert other_team.status_code == 400
    assert "Select one of the workers listed" in other_team.text
    future = _post(morgan, url, {"owner": "sam", **WHEN, "occurred-day": "5"})
    assert _errors(future.text) == [
        ("#allocate-occurred-day", "The date must be now or in the past")
    ]
    bad_time = _post(morgan, url, {"owner": "sam", **WHEN, "occurred-time": "25:00"})
    assert "24-hour clock" in bad_time.text
    assert 'value="sam"' in bad_time.text
    assert "checked" in bad_time.text.split('value="sam"')[1][:40]
    assert casework.get_case(web.app.session_factory, web.north_case).version == before


def test_only_a_manager_of_the_case_allocates_or_transfers_it(web: Web) -> None:
    # a page the role may not use answers 404, as the service answers every refused look-up
    pat = web.client("pat")
    assert pat.get(f"/cases/{web.north_case}/allocate").status_code == 404
    assert (
        _post(pat, f"/cases/{web.north_case}/allocate", {"owner": "sam", **WHEN}).status_code == 404
    )
    assert pat.get(f"/cases/{web.north_case}/transfer").status_code == 404
    assert pat.get(f"/cases/{web.south_case}/allocate").status_code == 404  # not their team's
    assert web.client("nina").get(f"/cases/{web.north_case}/allocate").status_code == 404
    assert pat.get("/unallocated").status_code == 404
    assert pat.get("/reassign").status_code == 404


def test_a_transfer_waits_on_the_other_teams_unallocated_list(web: Web) -> None:
    morgan = web.client("morgan")
    url = f"/cases/{web.north_case}/transfer"
    page = morgan.get(url).text
    assert "South Safeguarding" in page
    assert 'value="' in page
    south = next(
        t.id for t in queries.list_teams(web.app.session_factory) if t.name.startswith("South")
    )
    no_reason = _post(morgan, url, {"team": str(south), **WHEN})
    assert _errors(no_reason.text) == [("#transfer-reason", "Enter why the case is transferred")]
    done = _post(morgan, url, {"team": str(south), "reason": "The family moved south", **WHEN})
    assert done.status_code == 303, done.text
    assert _owner(web, web.north_case) is None
    assert morgan.get(f"/cases/{web.north_case}").status_code == 404  # no longer their team's
    nina = web.client("nina")
    waiting = nina.get("/unallocated").text
    assert f"/cases/{web.north_case}/allocate" in waiting
    board = nina.get("/dashboard").text.split('id="dashboard-unallocated"', 1)[1]
    assert f"/cases/{web.north_case}" in board.split("</table>", 1)[0]
    assert "was transferred to your team&#39;s unallocated list" in nina.get("/alerts").text
    chronology = nina.get(f"/cases/{web.north_case}/chronology").text
    assert "Transferred to South Safeguarding" in chronology
    assert "The family moved south" in chronology
    # the new team's manager allocates it
    assert (
        _post(nina, f"/cases/{web.north_case}/allocate", {"owner": "priya", **WHEN}).status_code
        == 303
    )
    assert _owner(web, web.north_case) == web.users["priya"]


def _assessment_submitted(web: Web, case_id: int, by: str = "pat") -> None:
    _fire(web, case_id, "refer", by, {"referred_to": ["childrens_social_care"]}, hour=9)
    _fire(web, case_id, "start_assessment", by, hour=9)
    _fire(web, case_id, "complete_assessment", by, {"factors": ["4A"]}, hour=10)


def test_a_manager_returns_then_authorises_an_assessment(web: Web) -> None:
    _assessment_submitted(web, web.north_case)
    morgan = web.client("morgan")
    board = (
        morgan.get("/dashboard").text.split('id="dashboard-awaiting"', 1)[1].split("</table>")[0]
    )
    assert f"/cases/{web.north_case}" in board
    assert "Pat Practitioner" in board
    assert re.search(r"numeric\">\s*(<strong[^>]*>)?\d+", board)  # working days left of 45
    panel = morgan.get(f"/cases/{web.north_case}").text.split('id="work"', 1)[1]
    assert "Awaiting a manager's authorisation" in panel
    assert "working days left" in panel
    returned = _post(
        morgan, f"/cases/{web.north_case}/assessment/return", {**WHEN, "occurred-time": "10:45"}
    )
    assert _errors(returned.text) == [
        ("#return_assessment-reason", "Enter why the assessment is returned to the worker")
    ]
    done = _post(
        morgan,
        f"/cases/{web.north_case}/assessment/return",
        {"reason": "Add the school's view", **WHEN, "occurred-time": "10:45"},
    )
    assert done.status_code == 303, done.text
    pat_view = web.client("pat").get(f"/cases/{web.north_case}").text
    assert "Returned to the worker by Morgan Manager" in pat_view
    assert "Add the school&#39;s view" in pat_view
    assert morgan.get(f"/cases/{web.north_case}/assessment/authorise").status_code == 404
    _fire(web, web.north_case, "complete_assessment", "pat", {"factors": ["4A"]}, 10, 46)
    authorised = _post(
        morgan, f"/cases/{web.north_case}/assessment/authorise", {**WHEN, "occurred-time": "10:50"}
    )
    assert authorised.status_code == 303, authorised.text
    case = casework.get_case(web.app.session_factory, web.north_case)
    assessment = next(d for d in case.deadlines if d.kind.value == "single_assessment")
    assert assessment.status.value == "met"
    assert "Last authorised by Morgan Manager" in morgan.get(f"/cases/{web.north_case}").text


def test_a_manager_never_authorises_their_own_assessment(web: Web) -> None:
    _assessment_submitted(web, web.north_case, by="morgan")
    morgan = web.client("morgan")
    page = morgan.get(f"/cases/{web.north_case}/assessment/authorise").text
    assert "You completed this assessment: another manager must authorise it" in page
    assert "submit-authorise_assessment" not in page
    refused = _post(morgan, f"/cases/{web.north_case}/assessment/authorise", WHEN)
    assert refused.status_code == 409
    assert _errors(refused.text) == [
        (
            "#authorise-assessment",
            "You completed this assessment: another manager must authorise it",
        )
    ]


def test_notes_are_added_and_amended_and_both_are_shown(web: Web) -> None:
    pat = web.client("pat")
    url = f"/cases/{web.north_case}/notes/new"
    form = pat.get(url).text
    assert 'value="management_oversight"' not in form  # a manager's note
    empty = _post(pat, url, WHEN)
    assert _errors(empty.text) == [
        ("#add_note-kind", "Select what kind of note this is"),
        ("#add_note-text", "Enter the note"),
    ]
    oversight = _post(pat, url, {"kind": "management_oversight", "text": "x", **WHEN})
    assert oversight.status_code == 400
    assert "a manager of the case" in oversight.text
    visit = {
        "kind": "visit",
        "text": "Seen at school with the head.",
        "significant": "yes",
        **WHEN,
        "occurred-time": "09:30",
    }
    assert _post(pat, url, visit).status_code == 303
    case = casework.get_case(web.app.session_factory, web.north_case)
    note_id = next(e.seq for e in case.history if e.event == "add_note")
    amend_form = pat.get(f"{url}?amends={note_id}").text
    assert "Seen at school with the head." in amend_form.split('id="amended-note"', 1)[1]
    assert "Seen at school with the head.</textarea>" in amend_form  # the text to correct
    same = _post(pat, url, {**visit, "amends": str(note_id)})
    assert "same as the note it amends" in same.text
    amended = {**visit, "amends": str(note_id), "text": "Seen at home with mother, not at school."}
    assert _post(pat, url, amended).status_code == 303
    page = pat.get(f"/cases/{web.north_case}").text.split('id="notes"', 1)[1]
    assert page.index("Seen at school with the head.") < page.index("Seen at home with mother")
    assert "Amended" in page
    assert "Amendment" in page
    assert f'href="#note-{note_id}"' in page
    assert pat.get(f"{url}?amends=999999").status_code == 404
    chronology = pat.get(f"/cases/{web.north_case}/chronology").text
    assert "Visit note" in chronology
    assert "Visit note (amendment)" in chronology


def test_management_oversight_overdue_is_listed_until_a_manager_records_it(web: Web) -> None:
    sf = web.app.session_factory
    calendar = web.app.calendar_for(Region.ENGLAND_AND_WALES)
    start = NOW - timedelta(days=70)
    case = casework.raise_concern(
        sf,
        facts={"category": "online_grooming", "children": [{"name": "Q", "age": 9}]},
        at=start,
        actor="pat",
        region=web.app.region,
        policy=web.app.policy,
        calendar=calendar,
        owner_id=web.users["pat"],
        team_id=queries.case_access(sf, web.north_case).team_id,  # type: ignore[union-attr]
    )
    assert case.id is not None
    steps: list[tuple[int, str, Any]] = [
        (0, "refer", {"referred_to": ["police", "childrens_social_care"]}),
        (0, "convene_strategy_discussion", {"urgent": False}),
        (
            1,
            "hold_strategy_discussion",
            {
                "attendees": ["police", "childrens_social_care", "health"],
                "considerations": {
                    "household_children_safety": "Safe",
                    "image_children_safety": "Safe",
                    "when_to_inform_alleged_abuser": "Now",
                    "criminal_investigation": False,
                    "section_47_threshold_met": True,
                    "icpc_required": True,
                },
            },
        ),
        (1, "start_section_47", None),
        (10, "hold_conference", {"outcome": "child_protection_plan"}),
    ]
    for days, event, data in steps:
        casework.apply_event(
            sf,
            case.id,
            event,
            at=start + timedelta(days=days, hours=1),
            actor="pat",
            data=data,
            calendar=calendar,
            policy=web.app.policy,
        )
    morgan = web.client("morgan")
    board = morgan.get("/dashboard").text.split('id="dashboard-oversight"', 1)
    assert len(board) == 2
    assert f"/cases/{case.id}" in board[1].split("</table>")[0]
    note = {"kind": "management_oversight", "text": "Plan reviewed; visits on track.", **WHEN}
    assert _post(morgan, f"/cases/{case.id}/notes/new", note).status_code == 303
    assert (
        f'/cases/{case.id}"'
        not in morgan.get("/dashboard").text.split("Overdue for management oversight")[1]
    )


def _new_north_case(web: Web) -> int:
    sf = web.app.session_factory
    case = casework.raise_concern(
        sf,
        facts={"category": "online_bullying", "children": [{"name": "Zed", "age": 11}]},
        at=NOW.replace(hour=9),
        actor="pat",
        region=web.app.region,
        policy=web.app.policy,
        calendar=web.app.calendar_for(Region.ENGLAND_AND_WALES),
        owner_id=web.users["pat"],
        team_id=queries.case_access(sf, web.north_case).team_id,  # type: ignore[union-attr]
    )
    assert case.id is not None
    return case.id


def test_leave_cover_reassigns_a_workers_open_cases_in_one_confirmed_step(web: Web) -> None:
    second = _new_north_case(web)
    morgan = web.client("morgan")
    start = morgan.get("/reassign").text
    assert "Pat Practitioner" in start
    assert "Unallocated cases" in start
    missing = morgan.get("/reassign/cases")
    assert missing.status_code == 400
    assert _errors(missing.text) == [
        ("#from", "Select whose cases you are reassigning"),
        ("#to", "Select who will take the cases over"),
    ]
    same = morgan.get("/reassign/cases?from=pat&to=pat")
    assert "Select someone other than" in same.text
    chooser = morgan.get("/reassign/cases?from=pat&to=sam")
    assert chooser.status_code == 200
    for case_id in (web.north_case, second):
        assert re.search(rf'value="{case_id}"\s+checked', chooser.text), case_id  # all chosen
    none = _post(morgan, "/reassign/check", {"from": "pat", "to": "sam"})
    assert _errors(none.text) == [("#case", "Select at least one case to reassign")]
    chosen = {"from": "pat", "to": "sam", "case": [str(web.north_case), str(second)]}
    check = _post(morgan, "/reassign/check", chosen)
    assert check.status_code == 200
    assert "Check the reassignment before you confirm it" in check.text
    assert "Reassign 2 cases" in check.text
    assert _owner(web, web.north_case) == web.users["pat"]  # nothing changes before confirming
    done = _post(morgan, "/reassign", chosen)
    assert done.status_code == 303, done.text
    assert (
        "2 cases are now allocated to Sam Social-Worker"
        in morgan.get(done.headers["location"]).text
    )
    assert _owner(web, web.north_case) == _owner(web, second) == web.users["sam"]
    notices = web.client("sam").get("/alerts").text.split('id="notices"', 1)[1]
    assert notices.count("was allocated to you") == 2
    log = casework.get_case(web.app.session_factory, second).history
    assert [e.event for e in log if e.event == "allocate"] == ["allocate"]


def test_a_case_that_changed_hands_since_the_check_is_not_moved(web: Web) -> None:
    morgan = web.client("morgan")
    chosen = {"from": "pat", "to": "sam", "case": [str(web.north_case)]}
    assert _post(morgan, "/reassign/check", chosen).status_code == 200
    assert (
        _post(morgan, f"/cases/{web.north_case}/allocate", {"owner": "morgan", **WHEN}).status_code
        == 303
    )
    stale = _post(morgan, "/reassign", chosen)
    assert stale.status_code == 409
    assert "no longer Pat Practitioner" in stale.text
    assert _owner(web, web.north_case) == web.users["morgan"]


def test_several_unallocated_cases_are_allocated_at_once(web: Web) -> None:
    second = _new_north_case(web)
    morgan = web.client("morgan")
    for case_id in (web.north_case, second):
        _fire(
            web,
            case_id,
            "transfer",
            "morgan",
            {"team": "North Safeguarding", "reason": "Worker left"},
        )
    waiting = morgan.get("/unallocated").text
    assert waiting.count('/allocate">Allocate') == 2
    chosen = {"from": "unallocated", "to": "sam", "case": [str(web.north_case), str(second)]}
    assert _post(morgan, "/reassign/check", chosen).status_code == 200
    assert _post(morgan, "/reassign", chosen).status_code == 303
    assert _owner(web, second) == web.users["sam"]
    assert "No case is waiting for a worker" in morgan.get("/unallocated").text


def test_the_chronology_page_print_view_and_csv(web: Web) -> None:
    pat = web.client("pat")
    _fire(web, web.north_case, "refer", "pat", {"referred_to": ["police", "childrens_social_care"]})
    note = {
        "kind": "visit",
        "text": '=HYPERLINK("x") seen',
        "significant": "yes",
        **WHEN,
        "occurred-time": "09:30",
    }
    assert _post(pat, f"/cases/{web.north_case}/notes/new", note).status_code == 303
    page = pat.get(f"/cases/{web.north_case}/chronology").text
    rows = page.split('id="chronology"', 1)[1]
    assert (
        rows.index("Concern recorded")
        < rows.index("Visit note")
        < rows.index("Referred to the police and children&#39;s social care")
    )
    assert "Pat Practitioner" in rows
    assert "Concern recorded: youth-produced sexual imagery" in rows
    assert "england-2023" not in rows  # no bookkeeping, no dump of the facts
    printed = pat.get(f"/cases/{web.north_case}/chronology/print")
    assert printed.status_code == 200
    assert "/static/print.css" in printed.text
    assert "Printed 4 March 2026 at 11:00 by Pat" in printed.text
    download = pat.get(f"/cases/{web.north_case}/chronology.csv")
    assert download.status_code == 200
    reference = casework.get_case(web.app.session_factory, web.north_case).reference
    assert download.headers["content-disposition"] == (
        f'attachment; filename="{reference}-chronology.csv"'
    )
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert table[0][:5] == [
        "Case",
        "Happened (UK time)",
        "Recorded (UK time)",
        "Recorded by",
        "Entry",
    ]
    visit = next(r for r in table if r[5] == "Visit note")
    assert visit[1] == "2026-03-04 09:30"
    assert visit[2] == "2026-03-04 11:00"
    assert visit[3] == "Pat Practitioner"
    assert visit[6].startswith("'=HYPERLINK")
    assert all("_" not in r[5] for r in table[1:])  # words, not codes
    assert web.client("priya").get(f"/cases/{web.north_case}/chronology.csv").status_code == 404
    with web.app.session_factory() as s:
        exports = s.execute(
            select(audit_events.c.detail, audit_events.c.case_id, audit_events.c.user_id).where(
                audit_events.c.kind == "export"
            )
        ).all()
    assert sorted(tuple(r) for r in exports) == [
        ("chronology downloaded as CSV", web.north_case, web.users["pat"]),
        ("chronology printed", web.north_case, web.users["pat"]),
    ]


def test_a_lado_names_the_managers_of_an_allegations_case(web: Web) -> None:
    lee = web.client("lee")
    url = f"/cases/{web.lado_case}/managers"
    page = lee.get(url).text
    assert re.search(r'value="hannah"\s+checked', page)
    assert web.client("morgan").get(f"/cases/{web.lado_case}").status_code == 404
    bad = _post(lee, url, {"managers": ["pat"]})
    assert bad.status_code == 400
    assert "Select from the managers listed" in bad.text
    assert _post(lee, url, {"managers": ["morgan"]}).status_code == 303
    assert web.client("morgan").get(f"/cases/{web.lado_case}").status_code == 200
    assert web.client("hannah").get(f"/cases/{web.lado_case}").status_code == 404
    assert web.client("morgan").get(url).status_code == 404
    assert lee.get(f"/cases/{web.north_case}/managers").status_code == 404  # not a LADO's case


def test_a_concern_a_lado_raises_is_owned_by_that_lado(web: Web) -> None:
    lee = web.client("lee")
    token = csrf_of(lee.get("/cases/new").text)
    form = {
        "category": "staff_online_conduct",
        "child1.name": "M",
        "child1.age": "13",
        "abuser.kind": "adult",
        "abuser.flags": ["position_of_trust"],
        "abuser.role": "coach",
        "csrf_token": token,
    }
    raised = lee.post("/cases/new", data=form)
    assert raised.status_code == 303, raised.text
    case_id = int(raised.headers["location"].split("/")[2].split("?")[0])
    access = queries.case_access(web.app.session_factory, case_id)
    assert access is not None
    assert access.restricted
    assert access.owner_id == web.users["lee"]
    assert "Lee LADO" in lee.get(f"/cases/{case_id}").text.split('id="work"', 1)[1]


def test_a_case_that_becomes_restricted_is_passed_on_to_the_lados(web: Web) -> None:
    sf = web.app.session_factory
    pat = web.client("pat")
    assert f'/cases/{web.north_case}"' in pat.get("/caseload").text
    _fire(web, web.north_case, "record_facts", "pat", {"alleged_abuser": TEACHER["alleged_abuser"]})
    assert _owner(web, web.north_case) is None
    assert queries.case_access(sf, web.north_case).restricted  # type: ignore[union-attr]
    assert f'/cases/{web.north_case}"' not in pat.get("/caseload").text
    alerts = pat.get("/alerts").text.split('id="notices"', 1)[1]
    assert "was passed to the LADOs" in alerts
    assert f'href="/cases/{web.north_case}"' not in alerts  # no link to what they may not open
    waiting = web.client("lee").get("/unallocated").text
    assert f"/cases/{web.north_case}/allocate" in waiting
    lee = web.client("lee")
    assert "Lee LADO" in lee.get(f"/cases/{web.north_case}/allocate").text
    assert (
        _post(lee, f"/cases/{web.north_case}/allocate", {"owner": "lee", **WHEN}).status_code == 303
    )


def test_work_notices_are_on_the_alerts_page_newest_first(web: Web) -> None:
    morgan = web.client("morgan")
    second = _new_north_case(web)
    assert (
        _post(morgan, f"/cases/{web.north_case}/allocate", {"owner": "sam", **WHEN}).status_code
        == 303
    )
    assert _post(morgan, f"/cases/{second}/allocate", {"owner": "sam", **WHEN}).status_code == 303
    notices = web.client("sam").get("/alerts").text.split('id="notices"', 1)[1].split("</ul>")[0]
    assert notices.index(f'/cases/{second}"') < notices.index(f'/cases/{web.north_case}"')
    assert "No work has been allocated" in web.client("pat").get("/alerts").text
