"""The CIN census items are recorded where they arise (DESIGN 6.1): the referral's source and
primary need on the refer form, the reason for closure on the close form, each offered with the
DfE's wording and stored as its code; a code outside the list is refused and writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from states import PrimaryNeed, ReferralSource
from tests.web.conftest import Web, csrf_of
from workflows import casework
from workflows.persistence import case_events


def _events(web: Web) -> int:
    with web.app.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(case_events)).scalar_one())


def test_the_refer_form_offers_and_records_the_census_items(web: Web) -> None:
    pat = web.client("pat")
    page = pat.get(f"/cases/{web.north_case}").text
    assert ReferralSource("1A").label in page  # "Individual" and the rest, in the DfE's words
    assert PrimaryNeed("N1").label in page
    assert 'value="N0"' not in page  # "not stated" is for closures without assessment only
    response = pat.post(
        f"/cases/{web.north_case}/events/refer",
        data={
            "referred_to": ["childrens_social_care"],
            "referral_source": "5A",
            "primary_need": "N1",
            "csrf_token": csrf_of(page),
        },
    )
    assert response.status_code == 303, response.text
    case = casework.get_case(web.app.session_factory, web.north_case)
    refer = next(e for e in case.history if e.event == "refer")
    assert (refer.data["referral_source"], refer.data["primary_need"]) == ("5A", "N1")


def test_a_census_code_outside_the_list_is_refused_and_writes_nothing(web: Web) -> None:
    pat = web.client("pat")
    page = pat.get(f"/cases/{web.north_case}").text
    before = _events(web)
    response = pat.post(
        f"/cases/{web.north_case}/events/refer",
        data={
            "referred_to": ["childrens_social_care"],
            "referral_source": "ZZ",
            "csrf_token": csrf_of(page),
        },
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert _events(web) == before


def test_the_close_form_offers_the_reason_for_closure(web: Web) -> None:
    page = web.client("pat").get(f"/cases/{web.north_case}").text
    assert "Reason for closure (children in need census)" in page
    assert 'value="RC8"' in page
