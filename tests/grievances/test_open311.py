"""Open311 GeoReport v2 at /open311/v2/, against the specification
(http://wiki.open311.org/GeoReport_v2): discovery, services, service definitions,
GET and POST requests, a request, tokens, errors as [{"code", "description"}]."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from grievances import open311
from grievances.models import Category, Grievance, Open311Key, Outbox, Reply
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def get(client, path, **params):
    response = client.get(f"{BASE}/{path}", params)
    assert response["Content-Type"].startswith("application/json")
    return response, json.loads(response.content)


def assert_error(response, body, status):
    assert response.status_code == status
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status and error["description"]


@pytest.fixture
def api_key(db):
    _client, key = open311.open311_key_create(name="测试客户端")
    return key


def post(client, **data):
    response = client.post(f"{BASE}/requests.json", data)
    assert response["Content-Type"].startswith("application/json")
    return response, json.loads(response.content)


def ago(days=0, hours=0):
    return timezone.now() - timedelta(days=days, hours=hours)


# --- discovery and services -------------------------------------------------------------------

def test_discovery(client):
    response, body = get(client, "discovery.json")
    assert response.status_code == 200
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["application/json"]
    assert endpoint["type"] == "production"


def test_services_are_the_active_categories(client):
    Category.objects.filter(code="greenery").update(active=False)
    response, body = get(client, "services.json")
    assert response.status_code == 200
    codes = [s["service_code"] for s in body]
    assert codes == list(Category.objects.filter(active=True).order_by("sort", "id")
                         .values_list("code", flat=True))
    assert "greenery" not in codes
    leak = next(s for s in body if s["service_code"] == "leak")
    assert leak["service_name"] == "漏水渗水"
    assert leak["metadata"] is False and leak["type"] == "realtime"
    assert set(leak) == {"service_code", "service_name", "description", "metadata", "type",
                         "keywords", "group"}


def test_service_definition(client):
    response, body = get(client, "services/leak.json")
    assert response.status_code == 200
    assert body == {"service_code": "leak", "attributes": []}
    response, body = get(client, "services/no-such-thing.json")
    assert_error(response, body, 404)
    Category.objects.filter(code="road").update(active=False)
    response, body = get(client, "services/road.json")
    assert_error(response, body, 404)


def test_json_only(client, area):
    grievance = make_grievance(area.compounds["长江路小区"])
    for path in ("discovery.xml", "services.xml", "services/leak.xml", "requests.xml",
                 f"requests/{grievance.tracking_code}.xml"):
        response, body = get(client, path)
        assert_error(response, body, 400)
        assert "JSON" in body[0]["description"]


def test_other_methods_are_refused(client):
    response = client.put(f"{BASE}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert json.loads(response.content)[0]["code"] == 405


# --- GET requests ---------------------------------------------------------------------------

def test_request_fields_and_no_personal_data(client, area):
    compound = area.compounds["长江路小区"]
    compound.address, compound.latitude, compound.longitude = "长江路88号", Decimal(
        "35.960000"), Decimal("120.180000")
    compound.save()
    grievance = make_grievance(
        compound, description="楼顶漏水，请联系13912345678。", reporter_name="王五",
        reporter_phone="13800001111", received_at=ago(days=2), due_at=ago(days=-1),
        party="property_company", party_name="长江物业")
    Reply.objects.create(grievance=grievance, text="已派物业查看。", public=True, at=ago(1))
    Reply.objects.create(grievance=grievance, text="内部：业主难沟通", public=False, at=ago(0))

    response, body = get(client, f"requests/{grievance.tracking_code}.json")
    assert response.status_code == 200 and len(body) == 1
    request = body[0]
    assert request["service_request_id"] == grievance.tracking_code
    assert request["status"] == "open"
    assert request["status_notes"] == "已派物业查看。"  # the latest *public* reply
    assert (request["service_code"], request["service_name"]) == ("leak", "漏水渗水")
    assert request["agency_responsible"] == "长江物业"
    assert request["address_id"] == compound.pk
    assert "长江路小区" in request["address"] and "长江路88号" in request["address"]
    assert (request["lat"], request["long"]) == (35.96, 120.18)
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert request[key].endswith("+08:00"), key
    assert request["requested_datetime"] == timezone.localtime(
        grievance.received_at).replace(microsecond=0).isoformat()
    text = response.content.decode()
    for private in ("王五", "13800001111", "13912345678", "内部"):
        assert private not in text
    assert "139****5678" in request["description"]
    assert set(request) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url"}


def test_request_by_id(client, area):
    grievance = make_grievance(area.compounds["育才苑"], status="resolved",
                               resolved_at=ago(hours=1))
    response, body = get(client, f"requests/{grievance.tracking_code.lower()}.json")
    assert response.status_code == 200
    assert body[0]["status"] == "closed" and body[0]["expected_datetime"] is None
    response, body = get(client, "requests/NOPE-0000.json")
    assert_error(response, body, 404)


def test_merged_issue_shows_the_survivors_reply(client, area):
    compound = area.compounds["长江路小区"]
    survivor = make_grievance(compound)
    duplicate = make_grievance(compound, status="merged", merged_into=survivor)
    Reply.objects.create(grievance=survivor, text="物业明天上门维修。", public=True)
    _response, body = get(client, f"requests/{duplicate.tracking_code}.json")
    assert body[0]["status"] == "closed"
    assert body[0]["status_notes"] == "物业明天上门维修。"


def test_default_window_is_90_days_newest_first(client, area):
    compound = area.compounds["长江路小区"]
    old = make_grievance(compound, received_at=ago(days=100))
    recent = make_grievance(compound, received_at=ago(days=10))
    newest = make_grievance(compound, received_at=ago(days=1))
    _response, body = get(client, "requests.json")
    assert [r["service_request_id"] for r in body] == [newest.tracking_code,
                                                       recent.tracking_code]
    # service_request_id overrides every other argument (the 90 days too).
    _response, body = get(client, "requests.json", status="open", service_code="road",
                          service_request_id=f"{old.tracking_code}, {recent.tracking_code}")
    assert {r["service_request_id"] for r in body} == {old.tracking_code,
                                                       recent.tracking_code}


def test_filters_service_code_and_status(client, area):
    compound = area.compounds["长江路小区"]
    leak = make_grievance(compound, category="leak")
    road = make_grievance(compound, category="road", status="in_progress")
    closed = make_grievance(compound, category="road", status="closed")
    rejected = make_grievance(compound, category="leak", status="rejected")

    def ids(**params):
        _response, body = get(client, "requests.json", **params)
        return {r["service_request_id"] for r in body}

    assert ids(service_code="road") == {road.tracking_code, closed.tracking_code}
    assert ids(service_code="road,leak") == {leak.tracking_code, road.tracking_code,
                                             closed.tracking_code, rejected.tracking_code}
    assert ids(status="open") == {leak.tracking_code, road.tracking_code}
    assert ids(status="closed") == {closed.tracking_code, rejected.tracking_code}
    assert ids(status="open,closed") == ids()
    assert ids(status="closed", service_code="leak") == {rejected.tracking_code}


def test_date_range(client, area):
    compound = area.compounds["长江路小区"]
    in_may = make_grievance(compound, received_at=timezone.make_aware(
        timezone.datetime(2026, 5, 10, 9, 0)))
    in_june = make_grievance(compound, received_at=timezone.make_aware(
        timezone.datetime(2026, 6, 20, 9, 0)))

    def ids(**params):
        response, body = get(client, "requests.json", **params)
        assert response.status_code == 200, body
        return {r["service_request_id"] for r in body}

    assert ids(start_date="2026-05-01T00:00:00Z", end_date="2026-05-31T00:00:00Z") == {
        in_may.tracking_code}
    assert ids(start_date="2026-05-10T09:00:00+08:00",
               end_date="2026-07-01T00:00:00+08:00") == {in_may.tracking_code,
                                                         in_june.tracking_code}
    # "+08:00" sent unescaped in a query string arrives as " 08:00".
    assert ids(start_date="2026-05-10T09:00:01 08:00",
               end_date="2026-07-01T00:00:00 08:00") == {in_june.tracking_code}
    assert ids(start_date="2026-05-01", end_date="2026-05-10") == {in_may.tracking_code}
    # One date: a 90-day window from it (or up to it).
    assert ids(start_date="2026-05-11") == {in_june.tracking_code}
    assert ids(end_date="2026-05-31") == {in_may.tracking_code}


@pytest.mark.parametrize("params", [
    {"start_date": "gestern"},
    {"end_date": "2026-13-45"},
    {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # > 90 days
    {"start_date": "2026-06-01", "end_date": "2026-05-01"},
    {"status": "pending"},
])
def test_bad_arguments_are_400(client, params):
    response, body = get(client, "requests.json", **params)
    assert_error(response, body, 400)


def test_at_most_1000(client, area, monkeypatch):
    assert open311.MAX_RESULTS == 1000  # the spec's default limit
    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    for _i in range(5):
        make_grievance(area.compounds["长江路小区"])
    _response, body = get(client, "requests.json")
    assert len(body) == 3


@pytest.mark.parametrize("size", [2, 12])
def test_requests_list_runs_one_query(client, area, size, django_assert_num_queries):
    compounds = list(area.compounds.values())
    for i in range(size):
        grievance = make_grievance(compounds[i % 3], category=("leak", "road")[i % 2],
                                   status=("received", "resolved")[i % 2])
        Reply.objects.create(grievance=grievance, text=f"回复{i}", public=True)
    with django_assert_num_queries(1):
        _response, body = get(client, "requests.json")
    assert len(body) == size


# --- tokens -----------------------------------------------------------------------------------

def test_tokens_are_never_issued(client, area):
    grievance = make_grievance(area.compounds["长江路小区"])
    for token in ("12345", grievance.tracking_code):
        response, body = get(client, f"tokens/{token}.json")
        assert_error(response, body, 404)


# --- POST requests ----------------------------------------------------------------------------

def test_post_creates_an_open311_issue(area, api_key):
    client = Client(enforce_csrf_checks=True)  # API-key clients have no CSRF token
    compound = area.compounds["育才苑"]
    response, body = post(client, api_key=api_key, service_code="leak",
                          address_id=str(compound.pk), description="5号楼楼道顶棚渗水。",
                          first_name="三", last_name="张", phone="13800138000",
                          email="zhang@example.com", media_url="http://example.com/a.jpg",
                          jurisdiction_id="example.gov")
    assert response.status_code == 201, body
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice",
                                               "account_id"}
    grievance = Grievance.objects.get(tracking_code=body[0]["service_request_id"])
    assert grievance.tracking_code in body[0]["service_notice"]
    assert body[0]["account_id"] is None
    assert grievance.channel == "open311" and grievance.created_by is None
    assert (grievance.compound, grievance.category.code) == (compound, "leak")
    assert (grievance.reporter_name, grievance.reporter_phone) == ("张三", "13800138000")
    assert grievance.events.filter(kind="submitted").exists()
    assert Outbox.objects.filter(grievance=grievance).exists()  # the SMS with the code
    # …and the request can be read back without the personal data.
    _response, listed = get(client, f"requests/{grievance.tracking_code}.json")
    assert listed[0]["description"] == "5号楼楼道顶棚渗水。"
    assert "13800138000" not in json.dumps(listed, ensure_ascii=False)


def test_post_by_lat_long_takes_the_nearest_compound(client, area, api_key):
    near, far = area.compounds["长江路小区"], area.compounds["石油大院"]
    near.latitude, near.longitude = Decimal("35.960000"), Decimal("120.180000")
    far.latitude, far.longitude = Decimal("35.990000"), Decimal("120.210000")
    near.save()
    far.save()
    response, body = post(client, api_key=api_key, service_code="road", lat="35.9605",
                          long="120.1803", description="小区门口路面塌陷。")
    assert response.status_code == 201, body
    assert Grievance.objects.get().compound == near
    # Nowhere near a compound; or half a coordinate.
    for location in ({"lat": "36.5", "long": "120.9"}, {"lat": "35.96"},
                     {"lat": "north", "long": "120.18"}):
        response, body = post(client, api_key=api_key, service_code="road",
                              description="小区门口路面塌陷。", **location)
        assert_error(response, body, 400)
    assert Grievance.objects.count() == 1


def test_post_by_address_string(client, area, api_key):
    response, body = post(client, api_key=api_key, service_code="road",
                          address_string="石油大院", description="小区门口路面塌陷。")
    assert response.status_code == 201, body
    assert Grievance.objects.get().compound == area.compounds["石油大院"]


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_post_without_a_valid_key_is_403(client, area, api_key, key):
    data = {"service_code": "leak", "address_id": str(area.compounds["育才苑"].pk),
            "description": "5号楼楼道顶棚渗水。"}
    if key is not None:
        data["api_key"] = key
    response, body = post(client, **data)
    assert_error(response, body, 403)
    assert not Grievance.objects.exists()


def test_post_with_a_switched_off_key_is_403(client, area, api_key):
    open311.open311_key_deactivate(name="测试客户端")
    response, body = post(client, api_key=api_key, service_code="leak",
                          address_id=str(area.compounds["育才苑"].pk),
                          description="5号楼楼道顶棚渗水。")
    assert_error(response, body, 403)
    assert not Grievance.objects.exists()


def test_post_bad_input(client, area, api_key):
    compound_id = str(area.compounds["育才苑"].pk)
    cases = [
        ({"address_id": compound_id, "description": "顶棚渗水漏水。"}, 400),  # no service_code
        ({"service_code": "no-such", "address_id": compound_id,
          "description": "顶棚渗水漏水。"}, 404),  # the spec: service_code not found → 404
        ({"service_code": "leak", "description": "顶棚渗水漏水。"}, 400),  # no location
        ({"service_code": "leak", "address_id": "999999", "description": "顶棚渗水漏水。"}, 400),
        ({"service_code": "leak", "address_id": "abc", "description": "顶棚渗水漏水。"}, 400),
        ({"service_code": "leak", "address_id": compound_id, "description": "漏"}, 400),
        ({"service_code": "leak", "address_id": compound_id, "description": "顶棚渗水漏水。",
          "phone": "12345"}, 400),
    ]
    for data, status in cases:
        response, body = post(client, api_key=api_key, **data)
        assert_error(response, body, status)
    assert not Grievance.objects.exists()
    response, body = post(client, api_key=api_key, service_code="leak",
                          address_id=compound_id, description="漏", phone="12345")
    described = " ".join(e["description"] for e in body)
    assert "description:" in described and "phone:" in described


def test_keys_are_stored_hashed(api_key):
    client = Open311Key.objects.get()
    assert client.key_hash == open311.key_hash(api_key) != api_key
    assert open311.open311_client(api_key) == client
    assert open311.open311_client(api_key + "x") is None


@pytest.mark.parametrize("path", ["nothing.json", "requests/ABCD-2345/extra.json", ""])
def test_an_unknown_path_is_the_error_list(client, path):
    response = client.get(f"/open311/v2/{path}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body[0]["code"] == 404 and path in body[0]["description"]
