"""A page of topics is tallied in a few grouped queries, exactly as `topic_tally` counts
each topic alone."""

import random

import pytest

from consultation.models import Choice, Rule, Scope, TopicKind
from consultation.selectors import eligible_dwellings, topic_tally
from consultation.selectors.topic_lists import tallies_for_topics
from consultation.services import ballot_cast, topic_create


@pytest.fixture
def estate(area):
    """长江路小区: buildings 1–3, units 1–2, owners sharing dwellings; 育才苑: one building."""
    c = area.compounds["长江路小区"]
    dwellings = []
    rng = random.Random(278)
    for b in ("1", "2", "3"):
        for u in ("1", "2"):
            for n in ("101", "102", "201", "202"):
                size = f"{rng.randint(40, 120)}.{rng.randint(0, 99):02d}"
                dwellings.append(area.dwelling(c, building=b, unit=u, number=n, area=size,
                                               owner_ref=f"O{rng.randint(1, 30)}"))
    other = [area.dwelling(area.compounds["育才苑"], number=str(100 + i), owner_ref=f"Y{i}")
             for i in range(5)]
    return {"compound": c, "dwellings": dwellings, "other": other, "rng": rng}


def make_topics(user, estate):
    c = estate["compound"]
    b1 = estate["dwellings"][0].building
    b2 = estate["dwellings"][8].building
    common = {"by": user, "compound_id": c.pk, "title": "议题"}
    return [
        topic_create(**common, scope=Scope.COMPOUND, kind=TopicKind.RENOVATION_PLAN,
                     rule=Rule.CIVIL_CODE_MAJOR),
        topic_create(**common, scope=Scope.COMPOUND, kind=TopicKind.PARKING,
                     rule=Rule.CIVIL_CODE_ORDINARY),
        topic_create(**common, scope=Scope.BUILDING, building_id=b2.pk,
                     kind=TopicKind.OTHER, rule=Rule.CONSENT_SHARE, threshold="0.8"),
        topic_create(**common, scope=Scope.UNIT, building_id=b1.pk, unit="2",
                     kind=TopicKind.ELEVATOR, rule=Rule.CIVIL_CODE_MAJOR,
                     affected_dwelling_ids=[d.pk for d in estate["dwellings"][4:6]]),
        topic_create(**common, scope=Scope.UNIT, building_id=b1.pk, unit="1",
                     kind=TopicKind.ELEVATOR, rule=Rule.CONSENT_SHARE, threshold="0.5"),
        topic_create(by=user, compound_id=estate["other"][0].building.compound_id,
                     title="育才苑", scope=Scope.COMPOUND, kind=TopicKind.OTHER,
                     rule=Rule.CIVIL_CODE_ORDINARY),
    ]


@pytest.mark.parametrize("seed", range(6))
def test_tallies_for_a_page_equal_each_topic_alone(east_user, estate, seed):
    topics = make_topics(east_user, estate)
    rng = random.Random(seed)
    for topic in topics:
        for d in eligible_dwellings(topic):
            roll = rng.random()
            if roll < 0.25:
                continue
            choice = Choice.AGREE if roll < 0.8 else rng.choice([Choice.DISAGREE, Choice.ABSTAIN])
            ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=d.pk, choice=choice,
                        method="paper")
            if rng.random() < 0.1:  # a revote
                ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=d.pk,
                            choice=Choice.AGREE, method="meeting")
    page = tallies_for_topics(topics)
    for topic in topics:
        assert page[topic.pk] == topic_tally(topic=topic), topic.scope


def test_no_votes_and_no_dwellings(east_user, area, estate):
    topics = make_topics(east_user, estate)
    empty = topic_create(by=east_user, compound_id=area.compounds["长江路小区"].pk, title="x",
                         scope=Scope.COMPOUND, kind=TopicKind.OTHER,
                         rule=Rule.CIVIL_CODE_ORDINARY)
    page = tallies_for_topics([*topics, empty])
    for topic in [*topics, empty]:
        assert page[topic.pk] == topic_tally(topic=topic)
    assert tallies_for_topics([]) == {}


@pytest.mark.parametrize("size", [2, 12])
def test_tallies_run_three_queries_whatever_the_page(east_user, estate, size,
                                                     django_assert_num_queries):
    made = make_topics(east_user, estate)
    topics = ((made[3:] + made[:3]) * 3)[:size]  # an elevator topic on both pages
    with django_assert_num_queries(3):  # eligible, ballots, affected (elevator topics)
        tallies = tallies_for_topics(topics)
    assert len(tallies) == len({t.pk for t in topics})


def test_an_agreement_on_another_topic_does_not_hide_a_refusal(east_user, estate):
    """Regression: the affected dwelling disagrees on the elevator but agrees on the
    renovation plan; it must still be listed as not agreeing (and the topic not pass)."""
    topics = make_topics(east_user, estate)
    plan, elevator = topics[0], topics[3]
    affected = list(elevator.affected_dwellings.all())
    for d in eligible_dwellings(elevator):
        choice = Choice.DISAGREE if d == affected[0] else Choice.AGREE
        ballot_cast(by=east_user, topic_id=elevator.pk, dwelling_id=d.pk, choice=choice,
                    method="paper")
    ballot_cast(by=east_user, topic_id=plan.pk, dwelling_id=affected[0].pk,
                choice=Choice.AGREE, method="paper")
    alone = topic_tally(topic=elevator)
    assert len(alone.affected_not_agreeing) == 1 and not alone.passed
    assert tallies_for_topics([elevator])[elevator.pk] == alone
