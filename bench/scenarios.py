"""The data and the targets `bench/run.py` measures."""

import random
from decimal import Decimal

from compounds.models import Community, Compound, Role, Subdistrict, User

# name, url, p95 target in ms
REGISTRY_PAGES = [
    ("compound list page", "/compounds/", 50),
    ("compound list page, search", "/compounds/?q=%E8%B7%AF", 50),
    ("compound list API", "/api/v1/compounds/", 50),
    ("compound list API, filtered", "/api/v1/compounds/?subdistrict={subdistrict}", 50),
]


def ensure_registry(*, compounds: int) -> User:
    """A district of `compounds` compounds (created once, reused after)."""
    have = Compound.objects.count()
    if have < compounds:
        rng = random.Random(7)
        subdistricts = [Subdistrict.objects.get_or_create(name=f"压测街道{i}")[0]
                        for i in range(8)]
        communities = [
            Community.objects.get_or_create(name=f"压测社区{s.pk}-{j}", subdistrict=s)[0]
            for s in subdistricts for j in range(10)
        ]
        Compound.objects.bulk_create(
            [
                Compound(
                    name=f"{rng.choice('东西南北中')}{rng.choice(['路', '苑', '院', '里'])}小区{i}",
                    community=communities[i % len(communities)],
                    address=f"压测路{i}号", build_year=rng.randint(1980, 2005),
                    households=rng.randint(40, 600), floor_area=Decimal("5000.00"),
                )
                for i in range(have, compounds)
            ],
            batch_size=2000,
        )
    user, _ = User.objects.get_or_create(username="bench", defaults={"role": Role.DISTRICT})
    first = Subdistrict.objects.order_by("pk").first()
    for i, (name, url, target) in enumerate(REGISTRY_PAGES):
        REGISTRY_PAGES[i] = (name, url.format(subdistrict=first.pk), target)
    return user


def tally_data(*, dwellings: int = 2_000):
    """A renovation-plan topic over 2,000 dwellings with 1,714 ballots (created once)."""
    from django.utils import timezone

    from compounds.models import Building, Dwelling
    from consultation.models import Ballot, Topic

    community = Community.objects.order_by("pk").first()
    compound, _ = Compound.objects.get_or_create(
        name="压测表决小区", community=community, defaults={"build_year": 1995}
    )
    topic, created = Topic.objects.get_or_create(
        compound=compound, title="压测议题",
        defaults={"kind": "renovation_plan", "rule": "civil_code_major"},
    )
    if created:
        buildings = Building.objects.bulk_create(
            [Building(compound=compound, number=str(b)) for b in range(dwellings // 100)]
        )
        rows = Dwelling.objects.bulk_create([
            Dwelling(building=buildings[i // 100], unit=str(i % 4 + 1), number=str(i),
                     owner_ref=f"T{i % (dwellings - 50)}", area=Decimal("65.35"))
            for i in range(dwellings)
        ], batch_size=1000)
        now = timezone.now()
        Ballot.objects.bulk_create([
            Ballot(topic=topic, dwelling=d, choice=("agree", "disagree", "abstain")[i % 3],
                   method="paper", cast_at=now)
            for i, d in enumerate(rows) if i % 7
        ], batch_size=1000)
    return topic


def tally_rows(*, dwellings: int = 2_000, n: int = 50) -> list[dict]:
    """The tally of a 2,000-dwelling topic, timed in process (p50/p95 of `n` runs)."""
    import statistics
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consultation.selectors import topic_tally

    topic = tally_data(dwellings=dwellings)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        topic_tally(topic=topic)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        topic_tally(topic=topic)
    p95 = sorted(samples)[round(0.95 * (len(samples) - 1))]
    return [{"name": f"tally of a {dwellings:,}-dwelling topic", "target": "p95 ≤ 50 ms",
             "p50_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2),
             "queries": len(queries), "n": n, "met": p95 <= 50}]


def one_shot(*, tally: bool = True, dwelling_import: bool = True) -> list[dict]:
    """Targets measured once, in seconds: the 10,000-dwelling import (its target row is
    the preview + apply a user waits for; the other rows are for information)."""
    from bench.import_dwellings import measure

    rows = tally_rows() if tally else []
    if dwelling_import:
        rows += [row for row in measure(dwellings=10_000) if row["target"]]
    return rows


# --- residents' issues (issue 5): the staff inbox and list API at 1,000,000 issues --------

# name, who (district | subdistrict | community), url, p95 target in ms
INBOX_PAGES = [
    ("issue inbox, district, default view", "district", "/grievances/", 100),
    ("issue inbox, subdistrict, default view", "subdistrict", "/grievances/", 100),
    ("issue inbox, community, default view", "community", "/grievances/", 100),
    ("issue inbox, district, assigned + overdue", "district",
     "/grievances/?f=1&status=assigned&overdue=true", 100),
    ("issue inbox, district, leaks this month", "district",
     "/grievances/?f=1&category=leak&received_after={month_ago}", 100),
    ("issue inbox, district, every issue", "district", "/grievances/?f=1", 100),
    ("issue inbox, community, overdue", "community", "/grievances/?f=1&overdue=true", 100),
    ("issue list API, district, by status", "district",
     "/api/v1/grievances/?status=assigned", 100),
    ("issue list API, community, open", "community", "/api/v1/grievances/?open=true", 100),
]


def issue_users() -> dict[str, User]:
    """Staff of the bench district: the district account `bench`, and one subdistrict and
    one community account on the first bench subdistrict / community (created once)."""
    community = Community.objects.filter(name__startswith="压测社区").order_by("pk").first()
    subdistrict = community.subdistrict
    users = {
        "district": User.objects.get_or_create(username="bench",
                                               defaults={"role": Role.DISTRICT})[0],
        "subdistrict": User.objects.get_or_create(
            username="bench-subdistrict",
            defaults={"role": Role.SUBDISTRICT, "subdistrict": subdistrict})[0],
        "community": User.objects.get_or_create(
            username="bench-community",
            defaults={"role": Role.COMMUNITY, "community": community})[0],
    }
    return users


def inbox_pages() -> list[tuple[str, str, str, int]]:
    """INBOX_PAGES with their dates filled in (30 local days back)."""
    import datetime as dt

    from django.utils import timezone

    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    return [(name, who, url.format(month_ago=month_ago), target)
            for name, who, url, target in INBOX_PAGES]
