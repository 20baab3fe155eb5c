import os

import pytest
from django.conf import settings
from django.utils import translation

from compounds.models import Building, Community, Compound, Dwelling, Role, Subdistrict, User

DEMO_PASSWORD = "correct-horse-battery-42"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts and ends in the portal's language: a request in English (the
    locale middleware activates it) must not leak into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits and throttles count in the cache (Redis in CI): every test starts
    with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield


def require_service(reason: str):
    """Skip when a real service (Redis, a browser) is missing, or fail when the run
    demands every service (REQUIRE_SERVICES=1, as CI does)."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_required():
    if not settings.REDIS_URL:
        require_service("REDIS_URL is not set: no Redis broker to test against")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service(f"Redis at REDIS_URL does not answer ({exc})")


class Area:
    """A small district: two subdistricts, each with two communities and compounds."""

    def __init__(self):
        self.east = Subdistrict.objects.create(name="黄岛街道")
        self.west = Subdistrict.objects.create(name="薛家岛街道")
        self.east_a = Community.objects.create(name="南屯社区", subdistrict=self.east)
        self.east_b = Community.objects.create(name="渡口社区", subdistrict=self.east)
        self.west_a = Community.objects.create(name="东岛社区", subdistrict=self.west)
        self.compounds = {}

    def compound(self, name: str, community: Community, **fields) -> Compound:
        fields.setdefault("build_year", 1992)
        fields.setdefault("households", 48)
        compound = Compound.objects.create(name=name, community=community, **fields)
        self.compounds[name] = compound
        return compound

    def dwelling(self, compound: Compound, *, building="1", unit="1", number="101",
                 area="72.50", owner_ref="O-1") -> Dwelling:
        b, _ = Building.objects.get_or_create(compound=compound, number=building)
        return Dwelling.objects.create(
            building=b, unit=unit, number=number, area=area, owner_ref=owner_ref
        )


def make_staff(username: str, role: str = "", **area) -> User:
    user = User(username=username, role=role, **area)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


@pytest.fixture
def area(db) -> Area:
    a = Area()
    a.compound("长江路小区", a.east_a)
    a.compound("育才苑", a.east_b)
    a.compound("石油大院", a.west_a, build_year=2003)
    return a


@pytest.fixture
def district_user(db):
    return make_staff("district", Role.DISTRICT)


@pytest.fixture
def east_user(area):
    return make_staff("east", Role.SUBDISTRICT, subdistrict=area.east)


@pytest.fixture
def west_user(area):
    return make_staff("west", Role.SUBDISTRICT, subdistrict=area.west)


@pytest.fixture
def east_a_user(area):
    return make_staff("east-a", Role.COMMUNITY, community=area.east_a)


@pytest.fixture
def roleless_user(db):
    return make_staff("nobody")


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}",
        f"broker: {settings.REDIS_URL or 'none (tasks run in process)'}",
        f"require services: {os.environ.get('REQUIRE_SERVICES', '0')}",
    ]
