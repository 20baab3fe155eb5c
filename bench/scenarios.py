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


def one_shot() -> list[dict]:
    """Targets measured once, in seconds: the 10,000-dwelling import (its target row is
    the preview + apply a user waits for; the other rows are for information)."""
    from bench.import_dwellings import measure

    return [row for row in measure(dwellings=10_000) if row["target"]]
