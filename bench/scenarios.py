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


def one_shot() -> list[dict]:
    """Targets measured once, in seconds: the 10,000-dwelling import (its target row is
    the preview + apply a user waits for; the other rows are for information)."""
    from bench.import_dwellings import measure

    return tally_rows() + [row for row in measure(dwellings=10_000) if row["target"]]
