"""The consultation demo, built by `load_demo` after the programme: the seven steps of
every renovation-plan topic (in step with its project's stage), elevator, parking and
one Xingjiaqiao-style topic whose votes come in over weeks (23 % → 99.4 % → 100 %),
household codes for one online vote, meetings of every type, golden ideas in every
state, door-to-door visits by the community demo account and the "请您阅卷" gradings
of finished compounds.

consultation never imports renewal, so `load_demo` hands in what it needs to know of
the programme as `DemoProject`s, and applies the links the demo returns (an adopted
idea's work item: `renewal.WorkItem.idea`).

Deterministic from the seed (each compound draws from its own generator) and
idempotent: each family skips the compounds (or topics) it has already filled, so a
second run creates nothing. Many rows go in with bulk_create.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from compounds.models import User
from grievances.demo import handler_for

# renewal's stage order (renewal.models.STAGE_ORDER; a test keeps the two equal).
PROGRAMME_STAGES = ["planned", "survey", "design", "consultation", "approved",
                    "construction", "completed", "accepted", "aftercare"]


@dataclass(frozen=True)
class DemoWorkItem:
    id: int
    type_code: str
    type_name: str
    has_idea: bool = False


@dataclass(frozen=True)
class DemoProject:
    """One compound's renovation project, as far as the consultation demo needs it."""

    compound_id: int
    year: int
    stage: str
    entered: dict[str, datetime]  # stage → when the project entered it
    actual_end: date | None = None
    # Its work items that are not cancelled (an adopted idea becomes one without an idea).
    work_items: tuple[DemoWorkItem, ...] = ()

    def when(self, stage: str) -> datetime:
        """When the project entered `stage`; for a history with a gap, the last move
        before it (or its first)."""
        if stage in self.entered:
            return self.entered[stage]
        before = [self.entered[s] for s in PROGRAMME_STAGES[:PROGRAMME_STAGES.index(stage)]
                  if s in self.entered]
        return max(before) if before else min(self.entered.values(), default=timezone.now())

    def past(self, stage: str) -> bool:
        """Has the project reached `stage`?"""
        return PROGRAMME_STAGES.index(self.stage) >= PROGRAMME_STAGES.index(stage)


@dataclass
class Demo:
    seed: int
    projects: dict[int, DemoProject]
    now: datetime = field(default_factory=timezone.now)
    users: tuple = ()

    def __post_init__(self):
        found = {u.username: u for u in User.objects.filter(
            username__in=["district", "subdistrict", "community"])}
        self.users = (found.get("district"), found.get("subdistrict"), found.get("community"))

    @property
    def district(self) -> User | None:
        return self.users[0]

    @property
    def community_user(self) -> User | None:
        return self.users[2]

    def staff_for(self, compound) -> User | None:
        """The demo account with the smallest area covering the compound."""
        return handler_for(compound, self.users)

    def rng(self, *parts) -> random.Random:
        return random.Random("-".join(str(p) for p in (self.seed, *parts)))

    def before_now(self, moment: datetime, margin: timedelta = timedelta(hours=1)) -> datetime:
        return min(moment, self.now - margin)


def bulk_create_dated(model, objects: list, field_name: str, batch_size: int = 1000) -> None:
    """bulk_create, keeping the past dates set on `field_name`: an auto_now_add field
    would stamp every row with the present."""
    dates = [getattr(obj, field_name) for obj in objects]
    model.objects.bulk_create(objects, batch_size=batch_size)
    for obj, value in zip(objects, dates, strict=True):
        setattr(obj, field_name, value)
    model.objects.bulk_update(objects, [field_name], batch_size=batch_size)


def aware(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def load_consultation_demo(*, seed: int = 2020,
                           projects: Iterable[DemoProject] = ()) -> dict:
    """Build what is missing (see the module doc). Returns the counts of what was made
    and `links`: (work item id, idea id) pairs the caller (renewal) must set as
    `WorkItem.idea` — the adopted ideas' work items."""
    from consultation.demo import grading, ideas, meetings, topics, visits

    demo = Demo(seed=seed, projects={p.compound_id: p for p in projects})
    counts: dict = {}
    counts.update(topics.load(demo))
    counts.update(ideas.load(demo))
    counts.update(visits.load(demo))
    counts.update(meetings.load(demo))
    counts.update(grading.load(demo))
    return counts
