"""A community worker at a door, on a phone: log a visit in a handful of taps, then record
the resident's vote with one more. Nothing may overflow the phone's width. And the same
form without JavaScript (choosing the building reloads it through a button)."""

import re

import pytest
from django.utils import timezone

from consultation.models import Ballot, Rule, Scope, Topic, TopicKind
from consultation.models.grading import GradingResponse, GradingRound
from consultation.models.visits import Visit
from consultation.services.grading import grading_codes_issue
from grievances.catalog import seed_catalog
from grievances.models import Category, DeadlineRule
from tests.conftest import Area, make_staff
from tests.e2e.test_programme import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
OPINION = "同意加装电梯，希望施工时注意噪音"


def setting():
    area = Area()
    compound = area.compound("长江路小区", area.east_a)
    for number in ("301", "302"):
        area.dwelling(compound, building="3", unit="2", number=number, owner_ref=number)
    area.dwelling(compound, building="5", unit="1", number="101", owner_ref="5-101")
    topic = Topic.objects.create(compound=compound, title="3号楼加装电梯", scope=Scope.COMPOUND,
                                 kind=TopicKind.ELEVATOR, rule=Rule.CIVIL_CODE_ORDINARY)
    seed_catalog(Category, DeadlineRule)
    make_staff("worker", "community", community=area.east_a)
    return compound, topic


def assert_fits(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"


def test_a_worker_logs_a_visit_and_records_the_vote_on_a_phone(live_server, phone, tmp_path):
    compound, topic = setting()
    base = live_server.url
    sign_in(phone, base, "worker")
    phone.goto(f"{base}/consultation/visits/new/")
    assert_fits(phone)
    # 南屯社区 has one compound: it is already chosen.
    assert phone.locator("#pick-compound").input_value() == str(compound.pk)

    taps = 0
    phone.locator("#pick-building").select_option(label="3")  # reloads the form
    taps += 1
    phone.wait_for_url(re.compile(r"building=\d+"))
    door = compound.buildings.get(number="3").dwellings.get(number="302")
    phone.locator("#id_dwelling").select_option(value=str(door.pk))
    taps += 1
    phone.locator("label.tile-at_home").tap()
    taps += 1
    phone.locator("label.tile-support").tap()
    taps += 1
    phone.locator("#id_opinions").fill(OPINION)
    taps += 1
    phone.locator("#id_topic").select_option(label="3号楼加装电梯")
    taps += 1
    assert_fits(phone)
    phone.screenshot(path=str(tmp_path / "visit-form.png"), full_page=True)
    phone.get_by_role("button", name="保存").tap()
    taps += 1
    phone.wait_for_url(re.compile(r"/consultation/visits/\d+/$"))
    assert taps <= 8

    visit = Visit.objects.get()
    assert (visit.dwelling.number, visit.building.number, visit.unit) == ("302", "3", "2")
    assert (visit.method, visit.attitude, visit.opinions, visit.topic) == (
        "at_home", "support", OPINION, topic)
    assert OPINION in phone.locator("main").inner_text()
    assert_fits(phone)

    # One more tap: the resident agreed.
    phone.locator("button[name=choice][value=agree]").tap()
    phone.wait_for_load_state()
    phone.locator("#follow-ballot .done").wait_for()
    ballot = Ballot.objects.get()
    assert (ballot.dwelling, ballot.topic, ballot.choice, ballot.method) == (
        visit.dwelling, topic, "agree", "door_to_door")
    assert phone.locator("button[name=choice]").count() == 0
    assert_fits(phone)
    phone.screenshot(path=str(tmp_path / "visit-detail.png"), full_page=True)

    # Next door: compound, building, method and topic come along.
    phone.locator(".next-door a").tap()
    phone.wait_for_url(re.compile(r"/consultation/visits/new/\?"))
    assert phone.locator("#pick-building").input_value() == str(visit.building_id)
    assert phone.locator("label.tile-at_home input").is_checked()
    assert phone.locator("#id_topic").input_value() == str(topic.pk)


def test_the_visit_form_works_without_javascript(live_server, browser):
    compound, _topic = setting()
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        base = live_server.url
        sign_in(page, base, "worker")
        page.goto(f"{base}/consultation/visits/new/")
        page.locator("#pick-building").select_option(label="5")
        page.locator("[data-pick-go]").tap()  # no script: the button reloads the form
        page.wait_for_url(re.compile(r"building=\d+"))
        door = compound.buildings.get(number="5").dwellings.get()
        page.locator("#id_dwelling").select_option(value=str(door.pk))
        page.locator("label.tile-street").tap()
        page.locator("label.tile-oppose").tap()
        page.get_by_role("button", name="保存").tap()
        page.wait_for_url(re.compile(r"/consultation/visits/\d+/$"))
        visit = Visit.objects.get()
        assert (visit.compound, visit.building.number, visit.method, visit.attitude) == (
            compound, "5", "street", "oppose")
    finally:
        context.close()


def test_a_resident_grades_the_finished_work_from_the_slip(live_server, phone, tmp_path):
    """请您阅卷: the QR on the slip opens the form with the code filled in; four taps of
    tiles, send, thanks. The same code again is kindly refused."""
    compound, _topic = setting()
    grading_round = GradingRound.objects.create(compound=compound, title="改造完工，请您阅卷",
                                                opens_on=timezone.localdate())
    (slip, *_rest) = grading_codes_issue(by=make_staff("office", "district"),
                                         round_id=grading_round.pk)
    url = f"{live_server.url}/r/c/{compound.pk}/grade/?code={slip.code}"
    phone.goto(url)
    assert phone.locator("#id_code").input_value() == slip.printed
    assert not phone.locator("#id_website").is_visible()
    for aspect in ("overall", "quality", "environment", "site_management"):
        phone.locator(f"#{aspect}-tiles label.tile-satisfied").tap()
    phone.locator("#id_comments").fill("楼道亮堂了，谢谢！")
    assert_fits(phone)
    phone.screenshot(path=str(tmp_path / "grade-form.png"), full_page=True)
    phone.locator("form.grade-form button").tap()
    phone.wait_for_url(re.compile(r"/grade/thanks/$"))
    response = GradingResponse.objects.get()
    assert (response.overall, response.code.dwelling, response.comments) == (
        "satisfied", slip.dwelling, "楼道亮堂了，谢谢！")

    phone.goto(url)
    for aspect in ("overall", "quality", "environment", "site_management"):
        phone.locator(f"#{aspect}-tiles label.tile-basically").tap()
    phone.locator("form.grade-form button").tap()
    phone.locator("#id_code_error").wait_for()
    assert phone.locator("#id_code").input_value() == slip.printed
    assert GradingResponse.objects.count() == 1


def test_staff_open_a_grading_round_and_print_the_slips(live_server, page, tmp_path):
    compound, _topic = setting()
    base = live_server.url
    sign_in(page, base, "worker")
    page.goto(f"{base}/consultation/grading/compounds/{compound.pk}/")
    page.locator("#id_title").fill("改造完工，请您阅卷")
    page.locator("form:has(#id_title) button.primary").click()
    page.wait_for_url(f"{base}/consultation/grading/compounds/{compound.pk}/")
    grading_round = GradingRound.objects.get()
    assert grading_round.title == "改造完工，请您阅卷" and grading_round.closed_at is None
    page.screenshot(path=str(tmp_path / "grading-compound.png"), full_page=True)

    page.locator(".grading-codes-form button").click()
    page.locator(".grade-slip").first.wait_for()
    assert page.locator(".grade-slip").count() == 3
    assert page.locator(".grade-slip-qr svg").count() == 3
    page.screenshot(path=str(tmp_path / "slips.png"), full_page=True)
    assert GradingRound.objects.get().codes.count() == 3

    page.goto(f"{base}/consultation/grading/")
    assert compound.name in page.locator("main").inner_text()
