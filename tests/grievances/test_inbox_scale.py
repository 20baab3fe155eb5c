"""What keeps the inbox fast at a million issues (bench/, issue 5): the capped count, the
compound filter's options in a big area, listed rows' labels looked up once, and no
SELECT DISTINCT. The caps are lowered here so that a handful of rows cross them."""

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone

from grievances.filtersets import GrievanceFilterSet
from grievances.models import Grievance
from grievances.views import staff
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

URL = "/grievances/"
NOW = timezone.now()


@pytest.fixture
def five(compound):
    return [make_grievance(compound, due_at=NOW + dt.timedelta(hours=i)) for i in range(5)]


def test_count_is_exact_up_to_the_cap(client, district_user, five, monkeypatch):
    monkeypatch.setattr(staff, "COUNT_CAP", 5)
    client.force_login(district_user)
    response = client.get(URL, {"f": "1"})
    paginator = response.context["page"].paginator
    assert paginator.count == 5
    assert str(paginator.count) == "5"


def test_count_over_the_cap_shows_a_plus(client, district_user, five, monkeypatch):
    monkeypatch.setattr(staff, "COUNT_CAP", 3)
    monkeypatch.setattr(staff, "PAGE_SIZE", 2)
    client.force_login(district_user)
    response = client.get(URL, {"f": "1"})
    paginator = response.context["page"].paginator
    assert isinstance(paginator.count, staff.CappedCount)
    assert paginator.count == 3
    assert str(paginator.count) == "3+"
    assert "3+" in response.content.decode()
    assert paginator.num_pages == 2  # pages reach the cap, no further
    last = client.get(URL, {"f": "1", "page": "9"})
    # The last page ends at the cap: the first COUNT_CAP issues are reachable.
    assert len(last.context["page"].object_list) == 1


def test_compound_options_of_a_small_area_list_every_compound(area, district_user):
    options = staff.compound_choices(district_user, QueryDict("f=1"))
    assert [name for _pk, name in options] == sorted(c.name for c in area.compounds.values())


def test_compound_options_of_a_big_area_follow_the_chosen_community(area, district_user,
                                                                    monkeypatch):
    monkeypatch.setattr(staff, "COMPOUND_CHOICES_MAX", 2)
    cj, yc, sy = (area.compounds[n] for n in ("长江路小区", "育才苑", "石油大院"))
    assert staff.compound_choices(district_user, QueryDict("f=1")) == []
    # The chosen compound is always offered, so the select shows what is filtered on.
    assert staff.compound_choices(district_user, QueryDict(f"compound={sy.pk}")) == [
        (sy.pk, sy.name)]
    assert staff.compound_choices(district_user, QueryDict(f"community={area.east_a.pk}")) == [
        (cj.pk, cj.name)]
    assert sorted(staff.compound_choices(
        district_user, QueryDict(f"subdistrict={area.east.pk}"))) == sorted(
        [(cj.pk, cj.name), (yc.pk, yc.name)])
    # Its 2 compounds and the chosen one are too many: the chosen one only.
    assert staff.compound_choices(
        district_user, QueryDict(f"subdistrict={area.east.pk}&compound={sy.pk}")) == [
        (sy.pk, sy.name)]
    assert staff.compound_choices(
        district_user, QueryDict(f"community={area.east_b.pk}&compound={sy.pk}")) == sorted(
        [(yc.pk, yc.name), (sy.pk, sy.name)], key=lambda row: row[1])


def test_compound_options_stay_in_the_area(area, east_a_user):
    sy = area.compounds["石油大院"]
    options = staff.compound_choices(east_a_user, QueryDict(f"compound={sy.pk}"))
    assert options == [(area.compounds["长江路小区"].pk, "长江路小区")]


def test_listed_rows_have_django_s_labels(compound, district_user):
    make_grievance(compound, status="assigned", level="community", party="community_office",
                   priority="urgent", channel="hotline", external_id="X-1", rating="")
    rows = list(Grievance.objects.all())
    expected = [(g.get_status_display(), g.get_level_display(), g.get_party_display(),
                 g.get_priority_display(), g.get_channel_display(), g.get_rating_display())
                for g in rows]
    staff.label_rows(rows)
    assert [(g.get_status_display(), g.get_level_display(), g.get_party_display(),
             g.get_priority_display(), g.get_channel_display(), g.get_rating_display())
            for g in rows] == expected
    assert expected[0][0] != "assigned"  # a label, not the stored value


def test_several_statuses_do_not_make_the_query_distinct(compound, district_user):
    query = QueryDict("status=received&status=assigned&level=compound,community")
    filterset = GrievanceFilterSet(query, queryset=Grievance.objects.all())
    assert not filterset.qs.query.distinct


def test_the_chosen_filters_come_back_selected(client, district_user, compound):
    make_grievance(compound, priority="urgent")
    client.force_login(district_user)
    response = client.get(URL, {"f": "1", "compound": str(compound.pk), "category": "leak",
                                "priority": "urgent", "sort": "new"})
    html = response.content.decode()
    assert f'<option value="{compound.pk}" selected>{compound.name}</option>' in html
    assert '<option value="leak" selected>' in html
    assert '<option value="urgent" selected>' in html
    assert '<option value="new" selected>' in html
    filters = html[html.index('<form class="filters'):]
    filters = filters[:filters.index("</form>")]
    assert filters.count(" selected>") == 4  # nothing else is chosen
    # The cells' labels for phones (set once before the rows) are in Chinese.
    assert 'data-label="查询码"' in html
