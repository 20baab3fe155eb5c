"""Reporters' contact details (PIPL): masked for all but the assignee and district staff,
every unmasked view audited."""

import pytest
from django.http import Http404

from compounds.errors import ApplicationError
from compounds.models import Role
from grievances.models import ContactView
from grievances.privacy import (
    contact_for,
    mask_name,
    mask_phone,
    may_see_contact,
    reveal_contact,
)
from grievances.services.handling import grievance_assign
from tests.conftest import make_staff
from tests.grievances.conftest import make_grievance


@pytest.mark.parametrize(("raw", "masked"), [
    ("13812345678", "138****5678"), (" 13812345678 ", "138****5678"),
    ("053286123456", "053****3456"), ("", ""), ("12345", "*****"),
])
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", ""),
])
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


@pytest.fixture
def assigned(grievance, east_user, east_a_user):
    return grievance_assign(by=east_user, grievance_id=grievance.pk, level="compound",
                            party="property_company", assignee_id=east_a_user.pk)


def test_who_may_see(assigned, district_user, east_user, east_a_user, west_user,
                     roleless_user):
    boss = make_staff("root")
    boss.is_superuser = True
    boss.save()
    retired = make_staff("retired", Role.DISTRICT)
    retired.is_active = False
    retired.save()
    allowed = {u.username for u in (district_user, east_user, east_a_user, west_user,
                                    roleless_user, boss, retired)
               if may_see_contact(user=u, grievance=assigned)}
    assert allowed == {"district", "east-a", "root"}


def test_contact_for_masks_and_audits(assigned, east_user, east_a_user):
    assert contact_for(user=east_user, grievance=assigned) == ("张*", "138****5678", True)
    assert not ContactView.objects.exists()  # nothing unmasked, nothing to audit
    assert contact_for(user=east_a_user, grievance=assigned, where="issue page") == (
        "张三", "13812345678", False)
    view = ContactView.objects.get()
    assert (view.user, view.grievance, view.where) == (east_a_user, assigned, "issue page")


def test_nothing_to_hide(compound, district_user):
    anonymous = make_grievance(compound)
    assert contact_for(user=district_user, grievance=anonymous) == ("", "", False)
    assert not ContactView.objects.exists()


def test_reveal_writes_one_audit_row_per_reveal(assigned, district_user):
    for _n in range(2):
        assert reveal_contact(user=district_user, grievance_id=assigned.pk,
                              where="export") == ("张三", "13812345678")
    assert ContactView.objects.filter(grievance=assigned, user=district_user,
                                      where="export").count() == 2


def test_reveal_refused(assigned, east_user, west_user):
    with pytest.raises(ApplicationError) as exc:
        reveal_contact(user=east_user, grievance_id=assigned.pk, where="detail")
    assert exc.value.status_code == 403
    with pytest.raises(Http404):  # outside the area: it does not exist
        reveal_contact(user=west_user, grievance_id=assigned.pk, where="detail")
    assert not ContactView.objects.exists()


def test_reassignment_takes_the_right_away(assigned, east_user, east_a_user):
    assert may_see_contact(user=east_a_user, grievance=assigned)
    moved = grievance_assign(by=east_user, grievance_id=assigned.pk, level="community",
                             party="community_office", assignee_id=east_user.pk)
    assert not may_see_contact(user=east_a_user, grievance=moved)
    assert may_see_contact(user=east_user, grievance=moved)


def test_admin_shows_the_phone_masked(client, assigned):
    from grievances.models import Outbox

    boss = make_staff("root")
    boss.is_superuser = boss.is_staff = True
    boss.save()
    Outbox.objects.create(to="13812345678", text="x", dedupe_key="k", grievance=assigned)
    client.force_login(boss)
    pages = ["/admin/grievances/grievance/", f"/admin/grievances/grievance/{assigned.pk}/change/",
             "/admin/grievances/outbox/", "/admin/grievances/category/",
             "/admin/grievances/deadlinerule/", "/admin/grievances/contactview/",
             "/admin/grievances/open311key/", "/admin/grievances/qrpoint/",
             "/admin/grievances/replytemplate/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "13812345678" not in response.content.decode(), url
    assert "138****5678" in client.get(pages[0]).content.decode()


def test_export_audit_one_row_per_issue_with_contact(compound, grievance, district_user,
                                                      django_assert_num_queries):
    from grievances.privacy import audit_contact_views

    anonymous = make_grievance(compound)
    second = make_grievance(compound, reporter_phone="13900000000")
    with django_assert_num_queries(1):
        written = audit_contact_views(user=district_user,
                                      grievances=[grievance, anonymous, second], where="export")
    assert written == 2
    audited = ContactView.objects.filter(where="export").values_list("grievance", flat=True)
    assert set(audited) == {grievance.pk, second.pk}
