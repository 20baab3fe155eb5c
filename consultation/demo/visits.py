"""Door-to-door visits (入户走访) of the demo, logged by the community demo account in its
own community: at home and kang-side talks that became door-to-door votes, bench and
street talks that became golden ideas, visits whose problem became a resident issue
(idempotency key `visit:<id>`, as `visit_to_grievance` files it), and plain visits with
the resident's attitude and opinions."""

from datetime import timedelta

from compounds.models import Compound, Dwelling
from consultation.demo import Demo
from consultation.demo.texts import OPINIONS
from consultation.models import Ballot, Topic
from consultation.models.ideas import Idea, IdeaSource
from consultation.models.visits import Visit
from grievances.models import Channel, Grievance

METHODS = ["bench", "street", "kang_side", "at_home"]
ATTITUDE = {"agree": "support", "disagree": "oppose", "abstain": "neutral"}


def load(demo: Demo) -> dict[str, int]:
    user = demo.community_user
    if user is None:
        return {"visits": 0}
    compounds = list(Compound.objects.filter(community_id=user.community_id)
                     .exclude(visits__isnull=False).order_by("id"))
    ids = [c.pk for c in compounds]
    ballots = (Ballot.objects.filter(topic__compound_id__in=ids, recorded_by=user,
                                     method="door_to_door")
               .select_related("dwelling", "topic").order_by("cast_at", "id"))
    ideas = Idea.objects.filter(compound_id__in=ids, source=IdeaSource.VISIT).order_by("id")
    issues = (Grievance.objects.filter(compound_id__in=ids, channel=Channel.VISIT,
                                       idempotency_key__isnull=True).order_by("id"))
    topics = {}
    for topic in Topic.objects.filter(compound_id__in=ids).order_by("id"):
        topics.setdefault(topic.compound_id, topic)
    dwellings: dict[int, list] = {}
    rows = list(Dwelling.objects.filter(building__compound_id__in=ids)
                .values_list("building__compound_id", "id", "building_id", "unit")
                .order_by("id"))
    for compound_id, *rest in rows:
        dwellings.setdefault(compound_id, []).append(rest)

    visits = []
    per_compound: dict[int, int] = {}
    for ballot in ballots:  # the vote a worker took down at the door
        if per_compound.get(ballot.topic.compound_id, 0) >= 10:
            continue
        per_compound[ballot.topic.compound_id] = per_compound.get(ballot.topic.compound_id, 0) + 1
        rng = demo.rng("visit-ballot", ballot.pk)
        attitude = ATTITUDE[ballot.choice]
        visits.append(Visit(compound_id=ballot.topic.compound_id,
                            building_id=ballot.dwelling.building_id, unit=ballot.dwelling.unit,
                            dwelling=ballot.dwelling, topic=ballot.topic, ballot=ballot,
                            method=rng.choice(["at_home", "at_home", "kang_side"]),
                            attitude=attitude, opinions=rng.choice(OPINIONS[attitude]),
                            visited_by=user, visited_at=ballot.cast_at))
    for idea in ideas:  # what a resident suggested on the bench became a golden idea
        rng = demo.rng("visit-idea", idea.pk)
        visits.append(Visit(compound_id=idea.compound_id, building_id=idea.building_id,
                            method=rng.choice(["bench", "street"]), attitude="support",
                            opinions=idea.text, idea=idea, visited_by=user,
                            visited_at=idea.created_at))
    linked = []
    for issue in issues:  # the problem a resident raised became a resident issue
        rng = demo.rng("visit-issue", issue.pk)
        visits.append(Visit(compound_id=issue.compound_id, building_id=issue.building_id,
                            unit=issue.unit, method=rng.choice(["at_home", "kang_side", "street"]),
                            attitude="neutral", opinions=issue.description, grievance=issue,
                            visited_by=user, visited_at=issue.received_at))
        linked.append(issue)
    for compound in compounds:  # and the talks that were only talks
        rng = demo.rng("visits", compound.community_id, compound.name)
        for n in range(rng.randint(4, 9)):
            method = METHODS[n] if n < len(METHODS) else rng.choices(METHODS, [3, 2, 2, 3])[0]
            attitude = rng.choices(list(OPINIONS), [6, 3, 1])[0]
            visit = Visit(compound=compound, method=method, attitude=attitude,
                          opinions=rng.choice(OPINIONS[attitude]), visited_by=user,
                          topic=topics.get(compound.pk) if rng.random() < 0.5 else None,
                          visited_at=demo.now - timedelta(minutes=rng.randint(60, 180 * 24 * 60)))
            if method in ("kang_side", "at_home") and dwellings.get(compound.pk):
                _dwelling_id, building_id, unit = rng.choice(dwellings[compound.pk])
                visit.dwelling_id, visit.building_id, visit.unit = _dwelling_id, building_id, unit
            visits.append(visit)
    Visit.objects.bulk_create(visits, batch_size=1000)
    for visit in visits:
        if visit.grievance is not None:
            visit.grievance.idempotency_key = f"visit:{visit.pk}"
    Grievance.objects.bulk_update(linked, ["idempotency_key"], batch_size=500)
    return {"visits": len(visits)}
