"""Shared fixtures of the grievance tests. Tests run without migrations, so the
catalogue the data migration seeds is seeded here."""

import secrets

import pytest

from grievances.catalog import seed_catalog
from grievances.models import Category, DeadlineRule, Grievance, GrievanceEvent


@pytest.fixture(autouse=True)
def catalog(db):
    seed_catalog(Category, DeadlineRule)


def make_grievance(compound, *, category="leak", description="三号楼顶层漏水，天花板掉灰。",
                   channel="qr", **fields) -> Grievance:
    """A grievance written straight to the database (for tests of what comes after
    intake); the intake service has its own tests."""
    grievance = Grievance.objects.create(
        tracking_code=fields.pop("tracking_code", secrets.token_hex(5).upper()),
        compound=compound, category=Category.objects.get(code=category),
        description=description, channel=channel, **fields,
    )
    GrievanceEvent.objects.create(grievance=grievance, kind="submitted",
                                  to_status=grievance.status)
    return grievance


@pytest.fixture
def compound(area):
    """长江路小区: community 南屯社区 (east_a_user), subdistrict 黄岛街道 (east_user)."""
    return area.compounds["长江路小区"]


@pytest.fixture
def west_compound(area):
    """石油大院: in 薛家岛街道, outside east_user's area."""
    return area.compounds["石油大院"]


@pytest.fixture
def grievance(compound):
    """An issue just received, from a resident who left a name and phone."""
    return make_grievance(compound, reporter_name="张三", reporter_phone="13812345678",
                          consent_contact=True)


@pytest.fixture
def sms_outbox(settings):
    """SMS go to LocmemSmsBackend.outbox (a list of (to, text)), emptied per test."""
    from grievances.notify import LocmemSmsBackend

    settings.SMS_BACKEND = "grievances.notify.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox = []
