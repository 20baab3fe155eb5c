"""The tally counts as the Civil Code counts: every boundary, persons not dwellings,
abstentions, revotes, scope, the elevator veto, and a reference implementation."""

import itertools
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compounds.models import Building, Compound, Dwelling
from consultation.models import Ballot, Rule, Topic
from consultation.selectors import renovation_plan_passed, topic_tally

pytestmark = pytest.mark.django_db
_names = itertools.count()


def district(area, dwellings):
    """A compound whose building 1 holds `dwellings`: (owner_ref, area[, unit])."""
    compound = Compound.objects.create(
        name=f"表决小区{next(_names)}", community=area.east_a, build_year=1990
    )
    building = Building.objects.create(compound=compound, number="1")
    made = [
        Dwelling.objects.create(building=building, unit=(spec[2] if len(spec) > 2 else "1"),
                                number=str(101 + i), owner_ref=spec[0], area=Decimal(spec[1]))
        for i, spec in enumerate(dwellings)
    ]
    return compound, made


def topic(compound, rule=Rule.CIVIL_CODE_ORDINARY, **fields):
    fields.setdefault("kind", "other")
    return Topic.objects.create(compound=compound, title="议题", rule=rule, **fields)


def vote(t, dwelling, choice):
    Ballot.objects.update_or_create(
        topic=t, dwelling=dwelling,
        defaults={"choice": choice, "method": "paper", "cast_at": timezone.now()},
    )


def votes(t, dwellings, choices):
    for dwelling, choice in zip(dwellings, choices, strict=False):
        if choice:
            vote(t, dwelling, choice)


# --- the quorum: at least 2/3 of the area AND of the owners --------------------------


def test_exactly_two_thirds_is_a_quorum(area):
    compound, ds = district(area, [("A", "100"), ("B", "100"), ("C", "100")])
    t = topic(compound)
    votes(t, ds, ["agree", "agree", None])
    tally = topic_tally(topic=t)
    assert (tally.participating_area, tally.eligible_area) == (Decimal("200.00"),
                                                               Decimal("300.00"))
    assert (tally.participating_owners, tally.eligible_owners) == (2, 3)
    assert tally.quorum_met and tally.passed and tally.reasons == []


def test_a_cent_under_two_thirds_of_the_area_is_no_quorum(area):
    compound, ds = district(area, [("A", "100"), ("B", "100"), ("C", "100.01")])
    t = topic(compound)
    votes(t, ds, ["agree", "agree", None])
    tally = topic_tally(topic=t)
    assert not tally.quorum_met and not tally.passed
    assert len(tally.reasons) == 1 and "200.00" in tally.reasons[0]


def test_two_thirds_of_the_area_but_not_of_the_owners_is_no_quorum(area):
    compound, ds = district(area, [("A", "300"), ("B", "50"), ("C", "50"), ("D", "50")])
    t = topic(compound)
    votes(t, ds, ["agree", "agree", None, None])  # 350/450 m², but 2 of 4 owners
    tally = topic_tally(topic=t)
    assert not tally.quorum_met
    assert len(tally.reasons) == 1 and "2" in tally.reasons[0] and "4" in tally.reasons[0]


# --- major matters: at least 3/4 of the participating area AND owners -----------------


def test_exactly_three_quarters_passes_a_major_matter(area):
    compound, ds = district(area, [(o, "80") for o in "ABCD"])
    t = topic(compound, Rule.CIVIL_CODE_MAJOR)
    votes(t, ds, ["agree", "agree", "agree", "disagree"])
    assert topic_tally(topic=t).passed


def test_just_under_three_quarters_of_the_area_fails_a_major_matter(area):
    compound, ds = district(area, [("A", "80"), ("B", "80"), ("C", "80"), ("D", "80.01")])
    t = topic(compound, Rule.CIVIL_CODE_MAJOR)
    votes(t, ds, ["agree", "agree", "agree", "disagree"])
    tally = topic_tally(topic=t)
    assert tally.quorum_met and not tally.passed
    assert len(tally.reasons) == 1 and "320.01" in tally.reasons[0]


# --- ordinary matters: more than half (half is not enough) ----------------------------


def test_exactly_half_does_not_pass_an_ordinary_matter(area):
    compound, ds = district(area, [(o, "60") for o in "ABCD"])
    t = topic(compound)
    votes(t, ds, ["agree", "agree", "disagree", "disagree"])
    tally = topic_tally(topic=t)
    assert tally.quorum_met and not tally.passed
    assert len(tally.reasons) == 2  # neither the area nor the owners are past half


def test_abstentions_take_part_but_do_not_agree(area):
    compound, ds = district(area, [(o, "70") for o in "ABC"])
    ordinary, major = topic(compound), topic(compound, Rule.CIVIL_CODE_MAJOR)
    for t in (ordinary, major):
        votes(t, ds, ["agree", "agree", "abstain"])
    assert topic_tally(topic=ordinary).passed  # 2/3 > 1/2
    tally = topic_tally(topic=major)  # 2/3 < 3/4
    assert (tally.participating_owners, tally.agree_owners) == (3, 2)
    assert tally.quorum_met and not tally.passed


# --- persons, not dwellings -----------------------------------------------------------


def test_dwellings_of_one_owner_are_one_person(area):
    compound, ds = district(area, [("A", "90"), ("A", "90"), ("B", "90")])
    t = topic(compound)
    votes(t, ds, ["agree", None, None])
    tally = topic_tally(topic=t)
    # Owner A took part through one of two flats: 1 of 2 persons, 90 of 270 m².
    assert (tally.eligible_owners, tally.participating_owners) == (2, 1)
    assert (tally.eligible_dwellings, tally.participating_dwellings) == (3, 1)
    assert not tally.quorum_met


def test_an_owner_voting_both_ways_takes_part_but_does_not_agree(area):
    compound, ds = district(area, [("A", "90"), ("A", "90"), ("B", "90")])
    t = topic(compound)
    votes(t, ds, ["agree", "disagree", "agree"])
    tally = topic_tally(topic=t)
    assert (tally.participating_owners, tally.agree_owners) == (2, 1)
    assert tally.agree_area == Decimal("180.00")


def test_a_revote_replaces_the_earlier_ballot(area):
    compound, ds = district(area, [(o, "50") for o in "ABC"])
    t = topic(compound)
    votes(t, ds, ["disagree", "disagree", "agree"])
    assert not topic_tally(topic=t).passed
    vote(t, ds[0], "agree")
    tally = topic_tally(topic=t)
    assert (tally.participating_dwellings, tally.agree_dwellings) == (3, 2)
    assert tally.passed


# --- scope ------------------------------------------------------------------------------


def test_ballots_outside_the_scope_do_not_count(area):
    compound, ds = district(area, [("A", "50", "1"), ("B", "50", "1"), ("C", "50", "2")])
    t = topic(compound, scope="unit", building=ds[0].building, unit="1")
    votes(t, ds, ["agree", None, "agree"])  # C lives in unit 2
    tally = topic_tally(topic=t)
    assert (tally.eligible_owners, tally.participating_owners) == (2, 1)
    other = Compound.objects.create(name="隔壁小区", community=area.east_a, build_year=1991)
    b = Building.objects.create(compound=other, number="9")
    stranger = Dwelling.objects.create(building=b, unit="1", number="1", owner_ref="Z",
                                       area=Decimal("999"))
    vote(t, stranger, "agree")
    assert topic_tally(topic=t).eligible_area == Decimal("100.00")


def test_an_empty_scope_never_passes(area):
    compound, _ = district(area, [])
    tally = topic_tally(topic=topic(compound))
    assert not tally.passed and len(tally.reasons) == 1


# --- the elevator veto and the consent share ---------------------------------------------


def test_every_affected_dwelling_must_agree(area):
    compound, ds = district(area, [(o, "60") for o in "ABCDE"])
    t = topic(compound, scope="unit", building=ds[0].building, unit="1", kind="elevator",
              rule=Rule.CIVIL_CODE_MAJOR)
    t.affected_dwellings.set([ds[0], ds[1]])
    votes(t, ds, ["agree", "disagree", "agree", "agree", "agree"])  # 4/5 ≥ 3/4
    tally = topic_tally(topic=t)
    assert tally.quorum_met and not tally.passed
    assert tally.affected_not_agreeing and "102" in tally.affected_not_agreeing[0]
    vote(t, ds[1], "agree")
    assert topic_tally(topic=t).passed


@pytest.mark.parametrize(("agreeing", "passed"), [(4, True), (3, False)])
def test_consent_share_counts_dwellings_against_the_threshold(area, agreeing, passed):
    compound, ds = district(area, [(o, "60") for o in "ABCDE"])
    t = topic(compound, Rule.CONSENT_SHARE, threshold=Decimal("0.80"))
    votes(t, ds, ["agree"] * agreeing + ["disagree"])
    tally = topic_tally(topic=t)
    assert tally.passed is passed  # exactly 80 % passes: at least
    assert Decimal(tally.as_api()["threshold"]) == Decimal("0.8")


# --- the gate of the programme, and the cost -----------------------------------------------


def test_a_passed_renovation_plan_opens_the_approval_gate(area):
    compound, ds = district(area, [(o, "60") for o in "ABC"])
    assert not renovation_plan_passed(compound_id=compound.pk)
    plan = topic(compound, Rule.CIVIL_CODE_MAJOR, kind="renovation_plan")
    votes(plan, ds, ["agree", "agree", "disagree"])  # 2/3 < 3/4
    assert not renovation_plan_passed(compound_id=compound.pk)
    vote(plan, ds[2], "agree")
    assert renovation_plan_passed(compound_id=compound.pk)


@pytest.mark.parametrize("size", [10, 300])
def test_the_tally_runs_three_queries_whatever_the_size(area, size,
                                                        django_assert_num_queries):
    compound, ds = district(area, [(f"O{i % (size - 3)}", "55.5") for i in range(size)])
    t = topic(compound, kind="elevator")
    votes(t, ds, ["agree", "disagree", "abstain"] * size)
    with django_assert_num_queries(3):
        tally = topic_tally(topic=t)
    assert tally.eligible_dwellings == size


# --- the law, written plainly, agrees with the tally whatever the order of the votes -------


def reference(specs, choices, rule, threshold):
    """A plain reading of the rules, on Fractions, with no database."""
    area = {i: Fraction(Decimal(a)) for i, (_, a) in enumerate(specs)}
    owner = {i: o for i, (o, _) in enumerate(specs)}
    cast = {i: c for i, c in enumerate(choices) if c}
    if not specs:
        return False
    if rule == Rule.CONSENT_SHARE:
        agreeing = sum(1 for c in cast.values() if c == "agree")
        return Fraction(agreeing, len(specs)) >= Fraction(threshold)
    persons = set(owner.values())
    voters = {owner[i] for i in cast}
    agreeing = {o for o in voters
                if all(cast[i] == "agree" for i in cast if owner[i] == o)}
    total_area, part_area = sum(area.values()), sum(area[i] for i in cast)
    agree_area = sum(area[i] for i, c in cast.items() if c == "agree")
    if part_area < Fraction(2, 3) * total_area or len(voters) < Fraction(2, 3) * len(persons):
        return False
    if rule == Rule.CIVIL_CODE_MAJOR:
        return (agree_area >= Fraction(3, 4) * part_area
                and len(agreeing) >= Fraction(3, 4) * len(voters))
    return agree_area > part_area / 2 and len(agreeing) > Fraction(len(voters), 2)


specs_strategy = st.lists(
    st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from(["45.50", "60.00", "72.25", "90.00"])),
    min_size=1, max_size=12,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=specs_strategy,
    data=st.data(),
    rule=st.sampled_from([Rule.CIVIL_CODE_MAJOR, Rule.CIVIL_CODE_ORDINARY, Rule.CONSENT_SHARE]),
    seed=st.integers(0, 10_000),
)
def test_the_tally_agrees_with_the_plain_reading_in_any_order(area, specs, data, rule, seed):
    choices = data.draw(st.lists(st.sampled_from([None, "agree", "disagree", "abstain"]),
                                 min_size=len(specs), max_size=len(specs)))
    threshold = Decimal("0.60") if rule == Rule.CONSENT_SHARE else None
    compound, ds = district(area, specs)
    t = topic(compound, rule, threshold=threshold)
    order = list(range(len(ds)))
    random.Random(seed).shuffle(order)
    for i in order:  # ballots arrive in any order
        if choices[i]:
            vote(t, ds[i], choices[i])
    assert topic_tally(topic=t).passed == reference(specs, choices, rule, threshold)


def test_the_project_enters_approved_once_the_plan_passes(area, district_user):
    from compounds.errors import ApplicationError
    from renewal.models import Batch, Project
    from renewal.services.programme import project_transition

    compound, ds = district(area, [(o, "60") for o in "ABCD"])
    project = Project.objects.create(
        compound=compound, batch=Batch.objects.create(year=2026, name="第一批"),
        stage="consultation",
    )
    with pytest.raises(ApplicationError) as refused:
        project_transition(project_id=project.pk, to="approved", by=district_user)
    assert refused.value.status_code == 409 and refused.value.extra["missing"]
    plan = topic(compound, Rule.CIVIL_CODE_MAJOR, kind="renovation_plan")
    votes(plan, ds, ["agree", "agree", "agree", "disagree"])
    moved = project_transition(project_id=project.pk, to="approved", by=district_user)
    assert moved.stage == "approved"
