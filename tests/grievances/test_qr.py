"""QR points: codes, the staff pages, posters, the community sheet, the area gate."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from compounds.models import Building
from grievances.models import QRPoint
from grievances.services.intake import CODE_ALPHABET
from grievances.services.qr import qr_point_create, qr_point_set_active
from tests.grievances.conftest import make_grievance


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PUBLIC_BASE_URL = "https://renewal.example.cn/"


@pytest.fixture
def compound(area):
    community = area.east_a
    community.office_phone = "0532-86881234"
    community.save()
    return area.compounds["长江路小区"]


@pytest.fixture
def west_compound(area):
    return area.compounds["石油大院"]


def test_create_gives_short_stable_code(compound, east_a_user):
    building = Building.objects.create(compound=compound, number="7")
    point = qr_point_create(by=east_a_user, compound_id=compound.pk, building_id=building.pk,
                            spot=" 二单元楼道 ")
    assert 6 <= len(point.code) <= 8 and set(point.code) <= set(CODE_ALPHABET)
    assert point.building == building and point.spot == "二单元楼道" and point.active
    codes = {qr_point_create(by=east_a_user, compound_id=compound.pk).code for _i in range(20)}
    assert len(codes) == 20


def test_create_checks_fields_and_area(compound, west_compound, east_a_user, west_user):
    other = Building.objects.create(compound=west_compound, number="1")
    with pytest.raises(ValidationError) as exc:
        qr_point_create(by=east_a_user, compound_id=compound.pk, building_id=other.pk,
                        spot="x" * 61)
    assert set(exc.value.message_dict) == {"building", "spot"}
    with pytest.raises(Http404):
        qr_point_create(by=west_user, compound_id=compound.pk)
    assert not QRPoint.objects.exists()


def test_deactivate_and_reactivate(compound, east_a_user, west_user):
    point = qr_point_create(by=east_a_user, compound_id=compound.pk)
    with pytest.raises(Http404):
        qr_point_set_active(by=west_user, code=point.code, active=False)
    assert not qr_point_set_active(by=east_a_user, code=point.code.lower(), active=False).active
    assert qr_point_set_active(by=east_a_user, code=point.code, active=True).active


# --- pages -----------------------------------------------------------------------------

def test_compound_page_lists_and_creates(client, compound, east_a_user):
    client.force_login(east_a_user)
    url = reverse("grievances:qr-compound", args=[compound.pk])
    response = client.post(url, {"building": "", "spot": "小区大门"})
    assert response.status_code == 302
    point = QRPoint.objects.get()
    assert point.spot == "小区大门" and point.compound == compound
    page = client.get(url)
    assert page.status_code == 200
    assert point.code in page.content.decode()
    assert f"https://renewal.example.cn/q/{point.code}" in page.content.decode()


def test_compound_page_form_error_kept(client, compound, west_compound, east_a_user):
    client.force_login(east_a_user)
    other = Building.objects.create(compound=west_compound, number="1")
    response = client.post(reverse("grievances:qr-compound", args=[compound.pk]),
                           {"building": str(other.pk), "spot": "门口"})
    assert response.status_code == 200 and "building" in response.context["form"].errors
    assert response.context["form"]["spot"].value() == "门口"
    assert not QRPoint.objects.exists()


def test_area_gate_on_staff_pages(client, compound, area, east_a_user, west_user,
                                  roleless_user):
    point = QRPoint.objects.create(code="GATE23", compound=compound)
    for user in (west_user, roleless_user):
        client.force_login(user)
        assert client.get(reverse("grievances:qr-compound", args=[compound.pk])).status_code == 404
        assert client.get(reverse("grievances:qr-poster", args=[point.code])).status_code == 404
        assert client.get(reverse("grievances:qr-community-posters",
                                  args=[area.east_a.pk])).status_code == 404
        assert client.post(reverse("grievances:qr-deactivate",
                                   args=[point.code])).status_code == 404
        index = client.get(reverse("grievances:qr-index")).content.decode()
        assert compound.name not in index
    point.refresh_from_db()
    assert point.active
    client.logout()
    response = client.get(reverse("grievances:qr-poster", args=[point.code]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_deactivate_page(client, compound, east_a_user):
    point = QRPoint.objects.create(code="OFF234", compound=compound)
    client.force_login(east_a_user)
    assert client.get(reverse("grievances:qr-deactivate", args=[point.code])).status_code == 405
    response = client.post(reverse("grievances:qr-deactivate", args=[point.code]))
    assert response.status_code == 302
    point.refresh_from_db()
    assert not point.active
    client.post(reverse("grievances:qr-activate", args=[point.code]))
    point.refresh_from_db()
    assert point.active


def test_index_lists_own_compounds_with_counts(client, area, compound, east_user):
    QRPoint.objects.create(code="IDX234", compound=compound)
    QRPoint.objects.create(code="IDX235", compound=compound, active=False)
    client.force_login(east_user)
    response = client.get(reverse("grievances:qr-index"))
    html = response.content.decode()
    assert compound.name in html and "育才苑" in html and "石油大院" not in html
    counts = {c.name: c.qr_active for _community, cs in response.context["communities"]
              for c in cs}
    assert counts["长江路小区"] == 1 and counts["育才苑"] == 0


def test_poster_has_svg_url_and_office_phone(client, compound, east_a_user):
    building = Building.objects.create(compound=compound, number="12")
    point = QRPoint.objects.create(code="PST234", compound=compound, building=building,
                                   spot="三单元")
    client.force_login(east_a_user)
    response = client.get(reverse("grievances:qr-poster", args=[point.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="qr-svg"' in html and "viewBox" in html
    assert "https://renewal.example.cn/q/PST234" in html  # in the SVG title
    assert "renewal.example.cn/q/PST234" in html
    assert compound.name in html and "三单元" in html and "12" in html
    assert "0532-86881234" in html
    assert 'class="topbar"' not in html  # no desk chrome on the printed page


def test_poster_url_from_request_without_setting(client, compound, east_a_user, settings):
    settings.PUBLIC_BASE_URL = ""
    point = QRPoint.objects.create(code="REQ234", compound=compound)
    client.force_login(east_a_user)
    html = client.get(reverse("grievances:qr-poster", args=[point.code])).content.decode()
    assert "http://testserver/q/REQ234" in html


def test_qr_encodes_the_url():
    """The SVG is a real QR of the URL: decode its modules back with segno's matrix."""
    import segno

    from grievances.views.qr import qr_svg

    url = "https://renewal.example.cn/q/ABC234"
    svg = qr_svg(url)
    expected = segno.make(url, error="m")
    assert svg.startswith("<svg") and expected.designator.endswith("M")
    assert svg == expected.svg_inline(scale=10, border=2, omitsize=True, svgclass="qr-svg",
                                      title=url)


def test_community_sheet_lists_every_active_point(client, area, compound, east_a_user):
    yucai_community = area.east_b
    points = [QRPoint.objects.create(code=f"CS{i}234", compound=compound) for i in range(3)]
    QRPoint.objects.create(code="CSOFF2", compound=compound, active=False)
    QRPoint.objects.create(code="CSOTH2", compound=area.compounds["育才苑"])  # another community
    client.force_login(east_a_user)
    response = client.get(reverse("grievances:qr-community-posters", args=[area.east_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for p in points:
        assert f"/q/{p.code}" in html
    assert "CSOFF2" not in html and "CSOTH2" not in html
    assert html.count('class="qr-poster"') == 3 and html.count("<svg") == 3
    assert client.get(reverse("grievances:qr-community-posters",
                              args=[yucai_community.pk])).status_code == 404


@pytest.mark.parametrize("n", [1, 6])
def test_pages_constant_queries(client, area, compound, east_a_user, n,
                                django_assert_num_queries):
    for i in range(n):
        building = Building.objects.create(compound=compound, number=f"{i + 1}")
        point = QRPoint.objects.create(code=f"QC{i}{n}23", compound=compound, building=building)
        make_grievance(compound, qr_point=point)
    client.force_login(east_a_user)
    # session + user, compound, buildings, points
    with django_assert_num_queries(5):
        client.get(reverse("grievances:qr-compound", args=[compound.pk]))
    # session + user, community, points
    with django_assert_num_queries(4):
        response = client.get(reverse("grievances:qr-community-posters", args=[area.east_a.pk]))
    assert response.content.decode().count('class="qr-poster"') == n
    with django_assert_num_queries(3):
        client.get(reverse("grievances:qr-index"))
