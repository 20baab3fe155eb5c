"""The consent history: the support series replayed from the ballot events, the SVG chart
and the history API (exact shares, constant queries, escaping, the area gate)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import override
from rest_framework.test import APIClient

from consultation.charts import percent, support_threshold, topic_support_chart
from consultation.models import BallotEvent, Rule, Scope, TopicKind
from consultation.selectors.history import consent_series
from consultation.services import ballot_cast, topic_create

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def ten(area):
    """长江路小区 building 1 unit 1: ten dwellings; building 2 unit 1: one more."""
    c = area.compounds["长江路小区"]
    flats = [area.dwelling(c, number=f"{n}01", owner_ref=f"O{n}") for n in range(1, 11)]
    other = area.dwelling(c, building="2", number="101", owner_ref="X")
    return {"compound": c, "flats": flats, "other": other}


def a_topic(user, ten, **fields):
    values = {"compound_id": ten["compound"].pk, "title": "加装电梯", "scope": Scope.UNIT,
              "building_id": ten["flats"][0].building_id, "unit": "1",
              "kind": TopicKind.ELEVATOR, "rule": Rule.CONSENT_SHARE, "threshold": "0.80"}
    values.update(fields)
    return topic_create(by=user, **values)


def event(topic, dwelling, choice, hours, previous=""):
    return BallotEvent.objects.create(topic=topic, dwelling=dwelling, choice=choice,
                                      previous=previous, method="paper",
                                      at=T0 + timedelta(hours=hours))


def script(topic, ten):
    """Votes at t1..t12 (inserted out of order once): a revote agree → disagree and one
    disagree → agree; a vote of a dwelling outside the unit is left out."""
    f = ten["flats"]
    event(topic, f[0], "agree", 1)
    event(topic, f[1], "agree", 2)
    event(topic, f[3], "disagree", 4)  # inserted before the t3 vote
    event(topic, f[2], "agree", 3)
    event(topic, f[0], "disagree", 5, previous="agree")  # agree → disagree: support drops
    event(topic, ten["other"], "agree", 5.5)  # not in the unit
    event(topic, f[4], "abstain", 6)
    event(topic, f[3], "agree", 7, previous="disagree")
    for n, flat in enumerate(f[5:], start=8):
        event(topic, flat, "agree", n)
    event(topic, f[0], "agree", 13, previous="disagree")


EXPECTED = [  # (hours, agree, voted, share)
    (1, 1, 1, "0.1000"), (2, 2, 2, "0.2000"), (3, 3, 3, "0.3000"), (4, 3, 4, "0.3000"),
    (5, 2, 4, "0.2000"), (6, 2, 5, "0.2000"), (7, 3, 5, "0.3000"), (8, 4, 6, "0.4000"),
    (9, 5, 7, "0.5000"), (10, 6, 8, "0.6000"), (11, 7, 9, "0.7000"), (12, 8, 10, "0.8000"),
    (13, 9, 10, "0.9000"),
]


def test_consent_series_replays_the_votes_exactly(east_user, ten):
    topic = a_topic(east_user, ten)
    script(topic, ten)
    points = consent_series(topic=topic)
    assert [(p.at, p.agree_dwellings, p.voted_dwellings, p.eligible_dwellings, p.share)
            for p in points] == [(T0 + timedelta(hours=h), a, v, 10, Decimal(s))
                                 for h, a, v, s in EXPECTED]
    assert all(isinstance(p.share, Decimal) for p in points)


def test_consent_series_from_real_votes_with_thirds(east_user, ten):
    topic = a_topic(east_user, ten, scope=Scope.COMPOUND, building_id=None, unit="",
                    kind=TopicKind.OTHER)
    f = ten["flats"]
    for flat, choice in ((f[0], "agree"), (f[1], "agree"), (f[0], "disagree")):
        ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=flat.pk, choice=choice,
                    method="door_to_door")
    assert [(p.agree_dwellings, p.voted_dwellings, p.share)
            for p in consent_series(topic=topic)] == [
        (1, 1, Decimal("0.0909")), (2, 2, Decimal("0.1818")), (1, 2, Decimal("0.0909"))]


def test_consent_series_constant_queries(east_user, ten, django_assert_num_queries):
    topic = a_topic(east_user, ten)
    event(topic, ten["flats"][0], "agree", 1)
    event(topic, ten["flats"][1], "agree", 2)
    with django_assert_num_queries(2):
        assert len(consent_series(topic=topic)) == 2
    with django_assert_num_queries(2):
        assert len(topic_support_chart(topic=topic)) > 0
    script(topic, ten)
    with django_assert_num_queries(2):
        assert len(consent_series(topic=topic)) == 15
    with django_assert_num_queries(2):
        assert "<svg" in topic_support_chart(topic=topic)


# --- the chart -------------------------------------------------------------------------


def test_chart_is_an_accessible_svg_with_threshold_and_summary(east_user, ten):
    topic = a_topic(east_user, ten)
    script(topic, ten)
    with override("en"):
        svg = str(topic_support_chart(topic=topic))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert f'aria-labelledby="support-{topic.pk}-title support-{topic.pk}-desc"' in svg
    assert "Support rose from 10% to 90%." in svg
    assert "9 of 10 dwellings agree" in svg
    # The dashed threshold line at 80 %: y = top 20 + plot 220 × (1 − 0.8) = 64.
    assert 'class="threshold" x1="48" y1="64.0"' in svg and 'stroke-dasharray="6 4"' in svg
    assert "threshold 80%" in svg
    assert ">90%</text>" in svg  # the last value, labelled
    for label in ("0%", "25%", "50%", "75%", "100%"):
        assert f">{label}</text>" in svg
    assert ">03-01 10:00</text>" in svg  # the first date on the time axis
    assert "Noto Sans CJK SC" in svg
    assert 'class="support-line" d="M48.0 240.0 H48.0 V218.0' in svg  # steps up from 0


def test_chart_escapes_the_topic_title(east_user, ten):
    topic = a_topic(east_user, ten, title='<script>alert("x")</script>&')
    event(topic, ten["flats"][0], "agree", 1)
    svg = str(topic_support_chart(topic=topic))
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in svg


def test_chart_summary_when_support_falls(east_user, ten):
    topic = a_topic(east_user, ten)
    event(topic, ten["flats"][0], "agree", 1)
    event(topic, ten["flats"][0], "disagree", 2, previous="agree")
    with override("en"):
        assert "Support fell from 10% to 0%." in topic_support_chart(topic=topic)


def test_chart_without_votes_says_so(east_user, ten):
    topic = a_topic(east_user, ten)
    html = str(topic_support_chart(topic=topic))
    assert "<svg" not in html and 'class="empty' in html


@pytest.mark.parametrize("rule, threshold, expected", [
    (Rule.CONSENT_SHARE, "0.80", Decimal("0.80")),
    (Rule.CIVIL_CODE_MAJOR, None, Decimal("0.75")),
    (Rule.CIVIL_CODE_ORDINARY, None, Decimal("0.5")),
])
def test_threshold_line_by_rule(east_user, ten, rule, threshold, expected):
    topic = a_topic(east_user, ten, rule=rule, threshold=threshold)
    assert support_threshold(topic) == expected
    event(topic, ten["flats"][0], "agree", 1)
    with override("en"):
        assert f"threshold {percent(expected)}%" in topic_support_chart(topic=topic)


def test_percent_is_exact():
    assert [percent(Decimal(s)) for s in ("0.2300", "0.9940", "1", "0", "0.0909")] == [
        "23", "99.4", "100", "0", "9.1"]


# --- the API ---------------------------------------------------------------------------


def history_url(topic):
    return f"/api/v1/consultation/topics/{topic.pk}/history/"


def test_history_api(east_user, ten):
    topic = a_topic(east_user, ten)
    script(topic, ten)
    api = APIClient()
    api.force_authenticate(east_user)
    response = api.get(history_url(topic))
    assert response.status_code == 200
    points = response.json()["points"]
    assert [(p["agree"], p["voted"], p["eligible"], p["share"]) for p in points] == [
        (a, v, 10, s) for _h, a, v, s in EXPECTED]
    assert points[0]["at"].startswith("2024-03-01T10:00:00")


def test_history_api_area_gate(east_user, west_user, ten):
    topic = a_topic(east_user, ten)
    api = APIClient()
    assert api.get(history_url(topic)).status_code in (401, 403)
    api.force_authenticate(west_user)
    assert api.get(history_url(topic)).status_code == 404
    assert api.get("/api/v1/consultation/topics/999999/history/").status_code == 404


def test_history_api_constant_queries(east_user, ten, django_assert_num_queries):
    topic = a_topic(east_user, ten)
    api = APIClient()
    api.force_authenticate(east_user)
    event(topic, ten["flats"][0], "agree", 1)
    with django_assert_num_queries(3):
        assert len(api.get(history_url(topic)).json()["points"]) == 1
    script(topic, ten)
    with django_assert_num_queries(3):
        assert len(api.get(history_url(topic)).json()["points"]) == 14


def test_api_root_still_answers_beside_the_history_route(east_user):
    api = APIClient()
    api.force_authenticate(east_user)
    body = api.get("/api/v1/").json()
    assert "consultation/topics" in body and not any("history" in key for key in body)
