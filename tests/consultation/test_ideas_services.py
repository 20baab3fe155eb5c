"""Golden ideas: submission (resident without an account, worker), the review machine,
adoption through renewal only, and the area gate."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from compounds.errors import ApplicationError
from compounds.models import Building
from consultation.models.ideas import Idea, IdeaEvent
from consultation.selectors.ideas import (
    as_public,
    idea_status_counts,
    ideas_visible_to,
    mask_mobiles,
    public_ideas,
)
from consultation.services.ideas import idea_mark_adopted, idea_submit, idea_transition
from renewal.catalog import seed_work_item_types
from renewal.models import ItemStatus, WorkItemType
from renewal.services.ideas import idea_adopt
from tests.renewal.factories import make_item, make_project

IDEA = "小区北门加装无障碍坡道，方便轮椅进出"


def submit(by=None, compound=None, **fields):
    values = {"compound_id": compound.pk, "text": IDEA,
              "source": "resident" if by is None else "worker"}
    values.update(fields)
    return idea_submit(by=by, **values)


def errors_of(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


@pytest.fixture
def reviewing(east, east_user):
    idea = submit(compound=east)
    return idea_transition(by=east_user, idea_id=idea.pk, to="under_review")


@pytest.fixture
def catalog(db):
    seed_work_item_types(WorkItemType)


@pytest.fixture
def item(catalog, east):
    return make_item(make_project(east), code="barrier-free")


# --- submit --------------------------------------------------------------------------------


def test_resident_submits_without_account(east, area):
    building = Building.objects.create(compound=east, number="3")
    idea = submit(compound=east, building_id=str(building.pk), author_name=" 王阿姨 ",
                  author_phone="138 1234-5678")
    idea.refresh_from_db()
    assert (idea.source, idea.status, idea.created_by) == ("resident", "received", None)
    assert idea.building == building
    assert (idea.author_name, idea.author_phone) == ("王阿姨", "13812345678")
    assert [(e.from_status, e.to_status, e.by) for e in idea.events.all()] == [
        ("", "received", None)]


def test_resident_may_send_to_any_compound(area):
    idea = submit(compound=area.compounds["石油大院"])
    assert idea.compound.name == "石油大院"


def test_resident_source_is_resident(east):
    with pytest.raises(ValidationError) as excinfo:
        submit(compound=east, source="worker")
    assert errors_of(excinfo) == {"source"}


def test_submit_reports_every_bad_field(east, area):
    elsewhere = Building.objects.create(compound=area.compounds["育才苑"], number="1")
    with pytest.raises(ValidationError) as excinfo:
        submit(compound=east, text=" 好 ", building_id=elsewhere.pk,
               author_name="名" * 41, author_phone="12812345678")
    assert errors_of(excinfo) == {"text", "building", "author_name", "author_phone"}
    assert not Idea.objects.exists()


@pytest.mark.parametrize("phone", ["1381234567", "138123456789", "23812345678", "12012345678",
                                   "+8613812345678", "138-1234-567x"])
def test_bad_phones(east, phone):
    with pytest.raises(ValidationError) as excinfo:
        submit(compound=east, author_phone=phone)
    assert errors_of(excinfo) == {"author_phone"}


@pytest.mark.parametrize("phone", ["13912345678", "199 0000 1111", ""])
def test_good_phones(east, phone):
    assert submit(compound=east, author_phone=phone).author_phone == phone.replace(" ", "")


def test_text_length_bounds(east):
    assert submit(compound=east, text="加装电梯吧").text == "加装电梯吧"  # 5 characters
    assert len(submit(compound=east, text="长" * 2000).text) == 2000
    for text in ("电梯好", "长" * 2001, "", None):
        with pytest.raises(ValidationError) as excinfo:
            submit(compound=east, text=text)
        assert errors_of(excinfo) == {"text"}


def test_unknown_compound(db):
    with pytest.raises(ValidationError) as excinfo:
        idea_submit(by=None, compound_id=98765, text=IDEA, source="resident")
    assert errors_of(excinfo) == {"compound"}
    with pytest.raises(ValidationError) as excinfo:
        idea_submit(by=None, compound_id="x", text=IDEA, source="resident")
    assert errors_of(excinfo) == {"compound"}


def test_worker_records_ideas_of_own_area(east, east_a_user, west_user):
    idea = submit(by=east_a_user, compound=east, source="visit")
    assert (idea.source, idea.created_by) == ("visit", east_a_user)
    assert idea.events.get().by == east_a_user
    with pytest.raises(ValidationError) as excinfo:
        submit(by=west_user, compound=east)
    assert errors_of(excinfo) == {"compound"}
    with pytest.raises(ValidationError) as excinfo:
        submit(by=east_a_user, compound=east, source="pigeon")
    assert errors_of(excinfo) == {"source"}


# --- the machine ---------------------------------------------------------------------------


def test_review_then_not_adopted_with_public_reason(east, east_user):
    idea = submit(compound=east)
    idea_transition(by=east_user, idea_id=idea.pk, to="under_review", note="转设计单位评估")
    idea_transition(by=east_user, idea_id=idea.pk, to="not_adopted",
                    public_reason="北门外为市政道路，坡道需由市政部门实施，已转交。")
    idea.refresh_from_db()
    assert idea.status == "not_adopted"
    assert idea.public_reason.startswith("北门外为市政道路")
    events = list(idea.events.values_list("from_status", "to_status", "note"))
    assert events == [("", "received", ""), ("received", "under_review", "转设计单位评估"),
                      ("under_review", "not_adopted", "")]
    assert idea.events.last().public_reason == idea.public_reason


def test_not_adopted_needs_a_public_reason(reviewing, east_user):
    with pytest.raises(ValidationError) as excinfo:
        idea_transition(by=east_user, idea_id=reviewing.pk, to="not_adopted",
                        public_reason="   ")
    assert errors_of(excinfo) == {"public_reason"}
    reviewing.refresh_from_db()
    assert reviewing.status == "under_review"


def test_public_reason_only_with_not_adopted(east, east_user):
    idea = submit(compound=east)
    with pytest.raises(ValidationError) as excinfo:
        idea_transition(by=east_user, idea_id=idea.pk, to="under_review", public_reason="x")
    assert errors_of(excinfo) == {"public_reason"}


def test_review_again_clears_the_public_reason(reviewing, east_user):
    idea_transition(by=east_user, idea_id=reviewing.pk, to="not_adopted", public_reason="预算不足")
    idea = idea_transition(by=east_user, idea_id=reviewing.pk, to="under_review")
    assert (idea.status, idea.public_reason) == ("under_review", "")
    assert idea.events.filter(public_reason="预算不足").exists()


def test_illegal_move_says_what_is_allowed(east, east_user):
    idea = submit(compound=east)
    with pytest.raises(ApplicationError) as excinfo:
        idea_transition(by=east_user, idea_id=idea.pk, to="not_adopted", public_reason="x")
    assert excinfo.value.status_code == 400
    assert excinfo.value.extra["allowed"] == ["under_review"]
    with pytest.raises(ApplicationError):
        idea_transition(by=east_user, idea_id=idea.pk, to="maybe")


def test_repeat_is_a_no_op(reviewing, east_user):
    before = reviewing.events.count()
    idea = idea_transition(by=east_user, idea_id=reviewing.pk, to="under_review")
    assert idea.status == "under_review" and idea.events.count() == before


def test_adopted_is_not_a_plain_move(reviewing, east_user):
    with pytest.raises(ApplicationError) as excinfo:
        idea_transition(by=east_user, idea_id=reviewing.pk, to="adopted")
    assert excinfo.value.extra["allowed"] == ["not_adopted"]
    reviewing.refresh_from_db()
    assert reviewing.status == "under_review"


def test_transition_outside_the_area_is_404(reviewing, west_user):
    with pytest.raises(Http404):
        idea_transition(by=west_user, idea_id=reviewing.pk, to="not_adopted",
                        public_reason="x")
    with pytest.raises(Http404):
        idea_transition(by=west_user, idea_id=None, to="under_review")


def test_note_length(reviewing, east_user):
    with pytest.raises(ValidationError) as excinfo:
        idea_transition(by=east_user, idea_id=reviewing.pk, to="not_adopted",
                        public_reason="x", note="长" * 2001)
    assert errors_of(excinfo) == {"note"}


# --- adoption (renewal) --------------------------------------------------------------------


def test_adopt_links_the_work_item(reviewing, east_user, item):
    idea = idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=item.pk,
                      note="纳入2025年改造清单")
    item.refresh_from_db()
    assert item.idea == idea and idea.status == "adopted"
    assert list(idea.work_items.all()) == [item]
    event = idea.events.last()
    assert (event.from_status, event.to_status, event.by) == ("under_review", "adopted",
                                                              east_user)
    assert f"#{item.pk}" in event.note and "纳入2025年改造清单" in event.note


def test_adopt_a_second_item_and_repeat(reviewing, east_user, item):
    second = make_item(item.project, code="roads")
    idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=item.pk)
    events = reviewing.events.count()
    idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=item.pk)  # repeat: nothing
    assert reviewing.events.count() == events
    idea = idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=second.pk)
    assert {w.pk for w in idea.work_items.all()} == {item.pk, second.pk}
    assert idea.events.count() == events + 1


def test_adopt_needs_review_first(east, east_user, item):
    idea = submit(compound=east)
    with pytest.raises(ApplicationError) as excinfo:
        idea_adopt(by=east_user, idea_id=idea.pk, work_item_id=item.pk)
    assert excinfo.value.extra["allowed"] == ["under_review"]
    item.refresh_from_db()
    assert item.idea is None


def test_adopt_refuses_another_compounds_item(reviewing, east_user, area, catalog):
    other = make_item(make_project(area.compounds["育才苑"]))
    with pytest.raises(ValidationError) as excinfo:
        idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=other.pk)
    assert errors_of(excinfo) == {"work_item"}
    reviewing.refresh_from_db()
    assert reviewing.status == "under_review"


def test_adopt_refuses_items_outside_the_area_cancelled_or_taken(reviewing, east_user, item,
                                                                 area, catalog):
    west_item = make_item(make_project(area.compounds["石油大院"]))
    cancelled = make_item(item.project, code="roads", status=ItemStatus.CANCELLED)
    taken = make_item(item.project, code="roads")
    taken.idea = submit(compound=reviewing.compound)
    taken.save()
    for work_item_id in (west_item.pk, cancelled.pk, taken.pk, None, "x"):
        with pytest.raises(ValidationError) as excinfo:
            idea_adopt(by=east_user, idea_id=reviewing.pk, work_item_id=work_item_id)
        assert errors_of(excinfo) == {"work_item"}


def test_adopt_outside_the_area_is_404(reviewing, west_user, item):
    with pytest.raises(Http404):
        idea_adopt(by=west_user, idea_id=reviewing.pk, work_item_id=item.pk)


def test_mark_adopted_refuses_from_received(east, east_user):
    idea = submit(compound=east)
    with pytest.raises(ApplicationError):
        idea_mark_adopted(by=east_user, idea=idea)
    assert not IdeaEvent.objects.filter(to_status="adopted").exists()


# --- reads ---------------------------------------------------------------------------------


def test_gate_and_public_view(east, east_user, west_user, east_a_user, area, item):
    mine = submit(compound=east, author_name="王阿姨", author_phone="13812345678",
                  text="请在3号楼加装电梯，我的电话13912345678")
    other = submit(compound=area.compounds["育才苑"])
    assert set(ideas_visible_to(east_user)) == {mine, other}
    assert list(ideas_visible_to(east_a_user)) == [mine]
    assert not ideas_visible_to(west_user).exists()

    idea_transition(by=east_user, idea_id=mine.pk, to="under_review")
    idea_adopt(by=east_user, idea_id=mine.pk, work_item_id=item.pk)
    shown = as_public(public_ideas(compound_id=east.pk).get())
    assert shown.status == "adopted" and shown.became == (item.type.name,)
    assert "13912345678" not in shown.text and "139****5678" in shown.text
    assert not hasattr(shown, "author_name") and not hasattr(shown, "author_phone")
    assert idea_status_counts(compound_id=east.pk) | {} == {
        "total": 1, "received": 0, "under_review": 0, "adopted": 1, "not_adopted": 0}


def test_mask_mobiles_leaves_other_numbers():
    assert mask_mobiles("电话13812345678。面积123456789012") == "电话138****5678。面积123456789012"
