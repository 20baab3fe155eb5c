"""The staff inbox of residents' issues: the area gate, the default view per level, every
filter, overdue, bulk assign, and a constant number of queries."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from grievances.filtersets import GrievanceFilterSet
from grievances.models import Grievance, GrievanceEvent
from grievances.selectors import grievances_visible_to
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

URL = "/grievances/"
NOW = timezone.now()


def day(days_ago: int) -> str:
    """The local (Asia/Shanghai) date `days_ago` days before NOW, as the filters read it."""
    return timezone.localtime(NOW - dt.timedelta(days=days_ago)).date().isoformat()


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:500]
    return [g.tracking_code for g in response.context["page"].object_list]


@pytest.fixture
def issues(area):
    """One issue of each kind the filters tell apart (codes name them)."""
    cj, yc, sy = (area.compounds[n] for n in ("长江路小区", "育才苑", "石油大院"))
    return {
        "A": make_grievance(cj, tracking_code="AAAA-2345", due_at=NOW + dt.timedelta(hours=30),
                            received_at=NOW - dt.timedelta(days=2), channel="qr"),
        "B": make_grievance(cj, tracking_code="BBBB-2345", category="road", level="community",
                            status="assigned", due_at=NOW - dt.timedelta(hours=5),
                            received_at=NOW - dt.timedelta(days=9), channel="visit",
                            description="路面塌陷一处，雨天积水"),
        "C": make_grievance(yc, tracking_code="CCCC-2345", category="safety",
                            level="subdistrict", priority="urgent",
                            due_at=NOW + dt.timedelta(hours=2),
                            received_at=NOW - dt.timedelta(days=1)),
        "D": make_grievance(cj, tracking_code="DDDD-2345", status="closed",
                            received_at=NOW - dt.timedelta(days=30)),
        "E": make_grievance(sy, tracking_code="EEEE-2345", received_at=NOW),
        "F": make_grievance(cj, tracking_code="FFFF-2345", level="district",
                            status="accepted", due_at=NOW + dt.timedelta(hours=50),
                            received_at=NOW - dt.timedelta(days=3)),
    }


def login(client, user):
    client.force_login(user)
    return client


# --- the default view -------------------------------------------------------------------


def test_community_worker_sees_open_compound_and_community_level_first(client, issues,
                                                                      east_a_user):
    response = login(client, east_a_user).get(URL)
    assert response.context["defaulted"] is True
    # Sorted by deadline: the overdue one first.
    assert codes(response) == ["BBBB-2345", "AAAA-2345"]
    chips = response.context["chips"]
    assert len(chips) == 3  # open, compound level, community level: each removable
    level_chip = next(c for c in chips if "level=community" not in c["url"]
                      and "level=compound" in c["url"])
    # Removing the "community level" chip keeps the other filters.
    assert codes(client.get(URL + level_chip["url"])) == ["AAAA-2345"]


def test_subdistrict_and_district_defaults(client, issues, east_user, district_user):
    assert codes(login(client, east_user).get(URL)) == ["CCCC-2345"]
    assert codes(login(client, district_user).get(URL)) == ["FFFF-2345"]


def test_removing_every_filter_shows_every_issue_in_the_area(client, issues, east_a_user,
                                                              east_user):
    assert set(codes(login(client, east_a_user).get(URL, {"f": "1"}))) == {
        "AAAA-2345", "BBBB-2345", "DDDD-2345", "FFFF-2345"}
    response = login(client, east_user).get(URL, {"f": "1"})
    assert response.context["defaulted"] is False
    assert response.context["chips"] == []
    assert set(codes(response)) == {"AAAA-2345", "BBBB-2345", "CCCC-2345", "DDDD-2345",
                                    "FFFF-2345"}


# --- the area gate ------------------------------------------------------------------


def test_another_subdistricts_issue_is_never_listed(client, issues, east_user, area):
    login(client, east_user)
    assert "EEEE-2345" not in codes(client.get(URL, {"f": "1"}))
    west = area.compounds["石油大院"].pk
    assert codes(client.get(URL, {"compound": west})) == []
    assert codes(client.get(URL, {"q": "EEEE-2345"})) == []
    assert codes(client.get(URL, {"subdistrict": area.west.pk})) == []


def test_roleless_user_sees_nothing(client, issues, roleless_user):
    assert codes(login(client, roleless_user).get(URL, {"f": "1"})) == []


# --- every filter -------------------------------------------------------------------


FILTERS = [
    ({"status": "received"}, {"A", "C"}),
    ({"status": ["received", "closed"]}, {"A", "C", "D"}),
    ({"status": "assigned,accepted"}, {"B", "F"}),
    ({"open": "false"}, {"D"}),
    ({"open": "true"}, {"A", "B", "C", "F"}),
    ({"category": "road"}, {"B"}),
    ({"level": "community"}, {"B"}),
    ({"level": ["subdistrict", "district"]}, {"C", "F"}),
    ({"priority": "urgent"}, {"C"}),
    ({"channel": "visit"}, {"B"}),
    ({"compound": "育才苑"}, {"C"}),
    ({"community": "east_b"}, {"C"}),
    ({"subdistrict": "east"}, {"A", "B", "C", "D", "F"}),
    ({"overdue": "true"}, {"B"}),
    ({"overdue": "false"}, {"A", "C", "D", "F"}),
    ({"received_after": day(3)}, {"A", "C", "F"}),
    ({"received_before": day(9)}, {"B", "D"}),
    ({"received_after": day(9),
      "received_before": day(2)}, {"A", "B", "F"}),
    ({"q": "bbbb 2345"}, {"B"}),
    ({"q": "塌陷"}, {"B"}),
]


def _resolve(params: dict, area) -> dict:
    names = {"育才苑": area.compounds["育才苑"].pk, "east_b": area.east_b.pk,
             "east": area.east.pk}
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in params.items()}


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_each_filter(client, issues, east_user, area, params, expected):
    response = login(client, east_user).get(URL, {"f": "1", **_resolve(params, area)})
    assert {c[0] for c in codes(response)} == expected
    assert response.context["chips"], "an active filter shows as a chip"


def test_assigned_to_me(client, issues, east_user):
    Grievance.objects.filter(pk=issues["C"].pk).update(assignee=east_user)
    assert codes(login(client, east_user).get(URL, {"mine": "true"})) == ["CCCC-2345"]


def test_filterset_is_the_same_for_any_caller(issues, east_user, rf):
    request = rf.get("/")
    request.user = east_user
    filterset = GrievanceFilterSet({"status": "received", "sort": "new"},
                                   queryset=grievances_visible_to(east_user), request=request)
    assert [g.tracking_code for g in filterset.qs] == ["CCCC-2345", "AAAA-2345"]


def test_a_bad_filter_value_is_shown_not_crashed(client, issues, east_user):
    response = login(client, east_user).get(URL, {"received_after": "yesterday"})
    assert response.status_code == 200
    assert "received_after" in response.context["filterset"].errors


def test_overdue_rows_are_highlighted(client, issues, east_user):
    response = login(client, east_user).get(URL, {"f": "1"})
    overdue = [g.tracking_code for g in response.context["page"].object_list if g.is_overdue]
    assert overdue == ["BBBB-2345"]
    assert response.content.decode().count('class="g-overdue"') == 1


def test_sorted_by_deadline_then_newest(client, issues, east_user):
    assert codes(login(client, east_user).get(URL, {"f": "1"})) == [
        "BBBB-2345", "CCCC-2345", "AAAA-2345", "FFFF-2345", "DDDD-2345"]
    assert codes(client.get(URL, {"f": "1", "sort": "old"}))[0] == "DDDD-2345"


# --- bulk assign --------------------------------------------------------------------


def test_bulk_assign_reports_each_failure_and_keeps_the_others(client, issues, east_user,
                                                               east_a_user):
    login(client, east_user)
    ids = [issues[k].pk for k in ("A", "C", "D", "E", "F")]
    response = client.post(URL + "bulk-assign/", {
        "ids": ids, "level": "compound", "party": "property_company",
        "party_name": "长江物业", "assignee": east_a_user.pk, "query": "f=1&level=compound",
    })
    assert response.status_code == 302
    assert response.url == "/grievances/?f=1&level=compound"
    for key in ("A", "F"):
        issue = Grievance.objects.get(pk=issues[key].pk)
        assert (issue.status, issue.level, issue.party, issue.assignee) == (
            "assigned", "compound", "property_company", east_a_user)
        assert issue.due_at > NOW
    # 育才苑 is not in the assignee's community; DDDD is closed; EEEE is another area's.
    assert Grievance.objects.get(pk=issues["C"].pk).status == "received"
    assert Grievance.objects.get(pk=issues["D"].pk).status == "closed"
    assert Grievance.objects.get(pk=issues["E"].pk).assignee is None
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 4
    assert any("CCCC-2345" in t for t in texts)
    assert any("DDDD-2345" in t for t in texts)
    assert any(f"#{issues['E'].pk}" in t for t in texts)
    assert not any("AAAA-2345" in t for t in texts)


def test_bulk_assign_without_ticks_keeps_the_form(client, issues, east_user):
    response = login(client, east_user).post(URL + "bulk-assign/", {
        "level": "community", "party": "community_office", "party_name": "南屯社区居委会",
        "query": "f=1",
    })
    assert response.status_code == 400
    form = response.context["bulk_form"]
    assert "ids" in form.errors
    assert form["party_name"].value() == "南屯社区居委会"
    assert len(response.context["page"].object_list) == 5
    assert not GrievanceEvent.objects.filter(kind="assigned").exists()


def test_bulk_assign_party_of_another_level_is_refused_per_row(client, issues, east_user):
    login(client, east_user)
    response = client.post(URL + "bulk-assign/", {
        "ids": [issues["A"].pk], "level": "community", "party": "property_company",
    })
    assert response.status_code == 302
    assert Grievance.objects.get(pk=issues["A"].pk).status == "received"
    assert any("AAAA-2345" in str(m) for m in get_messages(response.wsgi_request))


# --- queries ------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 12])
def test_inbox_runs_constant_queries(client, area, east_user, district_user, extra,
                                     django_assert_num_queries):
    cj = area.compounds["长江路小区"]
    for i in range(extra + 2):
        make_grievance(cj, due_at=NOW + dt.timedelta(hours=i), assignee=district_user,
                       building=area.dwelling(cj, building=str(i), number=str(i)).building)
    login(client, east_user)
    # session, user, count, rows, compounds, communities, subdistricts, categories,
    # assignees (the bulk form)
    with django_assert_num_queries(9):
        response = client.get(URL, {"f": "1"})
    assert len(codes(response)) == extra + 2
