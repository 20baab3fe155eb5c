"""The API contract of /api/v1/inspections/ and /api/v1/rectifications/."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from renewal.models import Inspection, Rectification, Stage

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


# --- inspections ----------------------------------------------------------------------


def test_create_inspection(api, quality, east_user):
    project = quality.project()
    response = as_user(api, east_user).post(
        "/api/v1/inspections/",
        {"project": project.pk, "level": "subdistrict", "kind": "surprise",
         "carried_out_on": TODAY.isoformat(), "summary": "脚手架未设防护网"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["project"] == project.pk
    assert body["compound_name"] == "长江路小区"
    assert (body["level"], body["kind"], body["carried_out_on"], body["scheduled_for"]) == (
        "subdistrict", "surprise", TODAY.isoformat(), None
    )
    assert body["inspector"] == east_user.pk
    assert body["rectifications"] == []
    assert Inspection.objects.get(pk=body["id"]).summary == "脚手架未设防护网"


def test_create_inspection_names_each_bad_field(api, quality, east_user):
    west = quality.project("石油大院")
    response = as_user(api, east_user).post(
        "/api/v1/inspections/",
        {"project": west.pk, "level": "city", "kind": "", "scheduled_for": "tomorrow"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"project", "level", "kind", "scheduled_for"}
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"level": "district", "kind": "announced", "scheduled_for": str(TODAY)}, {"level"}),
        ({"level": "community", "kind": "lookback", "scheduled_for": str(TODAY)}, {"kind"}),
        ({"level": "community", "kind": "announced"}, {"scheduled_for", "carried_out_on"}),
        ({"level": "community", "kind": "announced", "scheduled_for": None,
          "carried_out_on": None}, {"scheduled_for", "carried_out_on"}),
        ({"level": "community", "kind": "announced",
          "carried_out_on": str(TODAY + dt.timedelta(days=1))}, {"carried_out_on"}),
    ],
)
def test_service_rules_are_400_by_field(api, quality, east_user, payload, fields):
    project = quality.project(stage=Stage.CONSTRUCTION)
    response = as_user(api, east_user).post(
        "/api/v1/inspections/", {"project": project.pk, **payload}
    )
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_inspection_list_is_gated_and_filtered(api, quality, east_user):
    own = quality.project(stage=Stage.COMPLETED)
    other = quality.project("育才苑")
    quality.inspection(own, level="district", carried_out_on=dt.date(2024, 3, 1))
    quality.inspection(own, kind="lookback", level="community",
                       scheduled_for=dt.date(2024, 9, 1))
    quality.inspection(other, level="subdistrict", kind="surprise",
                       carried_out_on=dt.date(2024, 5, 1))
    quality.inspection(quality.project("石油大院"), carried_out_on=dt.date(2024, 5, 1))
    api = as_user(api, east_user)

    def ids(**params):
        body = api.get("/api/v1/inspections/", params).json()
        assert set(body) >= {"count", "next", "previous", "results"}
        return sorted((r["compound_name"], r["kind"], r["level"]) for r in body["results"])

    assert len(ids()) == 3  # not the west one
    assert ids(project=other.pk) == [("育才苑", "surprise", "subdistrict")]
    assert ids(level="community") == [("长江路小区", "lookback", "community")]
    assert ids(kind="lookback", project=own.pk) == [("长江路小区", "lookback", "community")]
    assert ids(date_from="2024-04-01", date_to="2024-08-31") == [
        ("育才苑", "surprise", "subdistrict")
    ]
    assert len(ids(date_from="2024-05-01")) == 2  # the planned day counts when not done
    assert api.get("/api/v1/inspections/", {"level": "city"}).status_code == 400


def test_inspection_detail_lists_its_orders_and_is_gated(api, quality, district_user,
                                                         west_user):
    inspection = quality.inspection(quality.project())
    order = quality.order(inspection, by=district_user)
    body = as_user(api, district_user).get(f"/api/v1/inspections/{inspection.pk}/").json()
    assert [r["id"] for r in body["rectifications"]] == [order.pk]
    assert body["rectifications"][0]["status"] == "open"
    as_user(api, west_user)
    assert api.get(f"/api/v1/inspections/{inspection.pk}/").status_code == 404
    assert api.get("/api/v1/inspections/abc/").status_code == 404


def test_patch_records_the_result(api, quality, east_user, west_user):
    inspection = quality.inspection(
        quality.project(), level="community", scheduled_for=TODAY + dt.timedelta(days=2)
    )
    url = f"/api/v1/inspections/{inspection.pk}/"
    assert as_user(api, west_user).patch(url, {"summary": "x"}).status_code == 404
    response = as_user(api, east_user).patch(
        url, {"carried_out_on": str(TODAY), "summary": "已检查"}
    )
    assert response.status_code == 200
    assert (response.json()["carried_out_on"], response.json()["summary"]) == (
        str(TODAY), "已检查"
    )
    assert api.patch(url, {"carried_out_on": "yesterday"}).status_code == 400


def test_anonymous_and_roleless_are_kept_out(api, quality, roleless_user):
    for url in ("/api/v1/inspections/", "/api/v1/rectifications/"):
        assert api.get(url).status_code == 401
    as_user(api, roleless_user)
    assert api.get("/api/v1/inspections/").status_code == 403
    assert api.post("/api/v1/rectifications/", {}).status_code == 403


@pytest.mark.parametrize("extra", [0, 30])
def test_inspection_list_runs_constant_queries(api, quality, district_user, extra,
                                               django_assert_num_queries):
    project = quality.project()
    for _ in range(extra + 1):
        inspection = quality.inspection(project)
        quality.order(inspection, by=district_user)
    as_user(api, district_user)
    with django_assert_num_queries(2):  # count, page
        body = api.get("/api/v1/inspections/").json()
    assert body["count"] == extra + 1
    assert body["results"][0]["rectification_count"] == 1
    assert body["results"][0]["unclosed_count"] == 1


# --- rectification orders -------------------------------------------------------------


def test_create_order(api, quality, east_user):
    project = quality.project()
    roof = quality.item(project)
    inspection = quality.inspection(project)
    response = as_user(api, east_user).post(
        "/api/v1/rectifications/",
        {"inspection": inspection.pk, "finding": "屋面防水卷材搭接不足",
         "responsible_party": "青岛建工", "deadline": str(TODAY + dt.timedelta(days=5)),
         "work_item": roof.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["work_item"], body["project"], body["is_overdue"]) == (
        "open", roof.pk, project.pk, False
    )
    assert [(h["from"], h["to"], h["by"]) for h in body["history"]] == [
        ("", "open", east_user.pk)
    ]
    assert [m["to"] for m in body["available_moves"]] == ["submitted"]


def test_create_order_names_each_bad_field(api, quality, east_user):
    west_inspection = quality.inspection(quality.project("石油大院"))
    west_item = quality.item(west_inspection.project)
    response = as_user(api, east_user).post(
        "/api/v1/rectifications/",
        {"inspection": west_inspection.pk, "finding": "", "deadline": "soon",
         "work_item": west_item.pk},
    )
    assert response.status_code == 400
    assert set(response.json()) == {
        "inspection", "finding", "responsible_party", "deadline", "work_item"
    }


def test_create_order_service_rules(api, quality, east_user):
    project = quality.project()
    inspection = quality.inspection(project, carried_out_on=TODAY)
    neighbour_item = quality.item(quality.project("育才苑"))  # in the area, wrong project
    response = as_user(api, east_user).post(
        "/api/v1/rectifications/",
        {"inspection": inspection.pk, "finding": "x", "responsible_party": "y",
         "deadline": str(TODAY - dt.timedelta(days=1)), "work_item": neighbour_item.pk},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"deadline", "work_item"}
    assert not Rectification.objects.exists()


def test_order_list_filters(api, quality, district_user, east_user):
    yesterday = TODAY - dt.timedelta(days=1)
    a = quality.project()
    b = quality.project("育才苑")
    ia = quality.inspection(a, level="district", carried_out_on=TODAY - dt.timedelta(days=5))
    ib = quality.inspection(b, level="community", carried_out_on=TODAY - dt.timedelta(days=5))
    late = quality.order(ia, by=district_user, deadline=yesterday, responsible_party="青岛建工")
    submitted = quality.order(ib, by=district_user, status="submitted",
                              responsible_party="物业公司")
    done = quality.order(ib, by=district_user, status="verified", deadline=yesterday,
                         responsible_party="物业公司")
    quality.order(quality.inspection(quality.project("石油大院")), by=district_user,
                  deadline=TODAY)
    api = as_user(api, east_user)

    def ids(**params):
        body = api.get("/api/v1/rectifications/", params).json()
        return sorted(r["id"] for r in body["results"])

    assert ids() == sorted([late.pk, submitted.pk, done.pk])
    assert ids(status="submitted") == [submitted.pk]
    assert ids(overdue="true") == [late.pk]
    assert ids(overdue="false") == sorted([submitted.pk, done.pk])
    assert ids(project=b.pk) == sorted([submitted.pk, done.pk])
    assert ids(responsible_party="建工") == [late.pk]
    assert ids(level="community") == sorted([submitted.pk, done.pk])
    body = api.get(f"/api/v1/rectifications/{late.pk}/").json()
    assert body["is_overdue"] is True


def test_order_detail_outside_area_is_404(api, quality, district_user, west_user):
    order = quality.order(quality.inspection(quality.project()), by=district_user)
    as_user(api, west_user)
    assert api.get(f"/api/v1/rectifications/{order.pk}/").status_code == 404
    response = api.post(f"/api/v1/rectifications/{order.pk}/transition/", {"to": "submitted"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == "open"


def test_transition_contract(api, quality, east_user, east_a_user):
    order = quality.order(quality.inspection(quality.project()), by=east_user)
    url = f"/api/v1/rectifications/{order.pk}/transition/"
    api = as_user(api, east_a_user)

    response = api.post(url, {"to": "submitted", "note": "已重做防水"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["rectified_on"] == str(TODAY)
    assert body["history"][-1]["note"] == "已重做防水"
    assert body["history"][-1]["by_name"] == "east-a"
    assert sorted(m["to"] for m in body["available_moves"]) == ["open", "verified"]

    # Repeat: 200, nothing new.
    again = api.post(url, {"to": "submitted"})
    assert again.status_code == 200
    assert len(again.json()["history"]) == 2

    # The one who submitted may not verify: 400 with a reason.
    refused = api.post(url, {"to": "verified"})
    assert refused.status_code == 400
    assert refused.json()["detail"]

    # Unknown and illegal moves: 400, with the moves allowed from here.
    unknown = api.post(url, {"to": "done"})
    assert unknown.status_code == 400
    assert sorted(unknown.json()["allowed"]) == ["open", "verified"]
    assert api.post(url, {}).status_code == 400
    assert set(api.post(url, {}).json()) == {"to"}

    as_user(api, east_user)
    verified = api.post(url, {"to": "verified"})
    assert verified.status_code == 200
    assert (verified.json()["status"], verified.json()["verified_by"]) == ("verified", east_user.pk)
    assert verified.json()["available_moves"] == []
    illegal = api.post(url, {"to": "open"})
    assert illegal.status_code == 400
    assert illegal.json()["allowed"] == []


@pytest.mark.parametrize("extra", [0, 30])
def test_order_list_runs_constant_queries(api, quality, district_user, extra,
                                          django_assert_num_queries):
    project = quality.project()
    quality.item(project)
    inspection = quality.inspection(project)
    for _ in range(extra + 1):
        quality.order(inspection, by=district_user, work_item_id=project.work_items.get().pk)
    as_user(api, district_user)
    with django_assert_num_queries(2):  # count, page
        body = api.get("/api/v1/rectifications/", {"overdue": "false"}).json()
    assert body["count"] == extra + 1
