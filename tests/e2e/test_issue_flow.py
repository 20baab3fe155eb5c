"""A resident's issue from the wall to the rating, in a real browser (issue 5, item 10):
a resident on a phone opens the QR URL, reports a leak with a photo that carries a GPS
position, and keeps the tracking code; an office worker signs in on a desktop, finds it
in the inbox, accepts it, assigns it (level and party), replies in public and resolves
it with a public reply; the resident reloads the tracking page, reads the replies and
rates 满意, and the issue is closed with that rating. The stored photo has no GPS."""

import re

import pytest

from compounds.models import Building
from grievances.catalog import seed_catalog
from grievances.models import (
    Category,
    DeadlineRule,
    EventKind,
    Grievance,
    GrievancePhoto,
    QRPoint,
    Reply,
    Status,
)
from tests.conftest import Area, make_staff
from tests.e2e.test_programme import sign_in
from tests.grievances.test_intake import has_gps, jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_RE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")
DESCRIPTION = "3号楼顶层卫生间天花板漏水，墙皮脱落，已经一个星期了。"
FIRST_REPLY = "已收到，物业明天上午上门查看。"
RESOLVED_REPLY = "已更换楼顶防水卷材，请您查看是否还漏水。"


def test_qr_report_with_photo_staff_handle_and_resident_rates(live_server, phone, page,
                                                              settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_catalog(Category, DeadlineRule)
    area = Area()
    compound = area.compound("长江路小区", area.east_a)
    building = Building.objects.create(compound=compound, number="3")
    QRPoint.objects.create(code="FLW234", compound=compound, building=building,
                           spot="二单元楼道")
    worker = make_staff("east-a", "community", community=area.east_a)
    worker.first_name = "李娜"
    worker.save()
    base = live_server.url
    photo = jpeg("IMG_0412.jpg", size=(800, 600), gps=True).read()
    assert has_gps(photo)  # what the phone sends really carries a position

    # --- the resident, on a phone ------------------------------------------------------
    phone.goto(f"{base}/q/FLW234")
    assert "长江路小区" in phone.locator(".phone-head").inner_text()
    assert "二单元楼道" in phone.locator("main").inner_text()
    phone.get_by_role("link", name=re.compile("反映问题")).click()
    phone.wait_for_url(f"{base}/q/FLW234/report/")
    assert phone.locator("h1").inner_text() == "反映问题"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    phone.locator("label.tile", has_text="漏水渗水").click()
    assert phone.locator("input[name=category][value=leak]").is_checked()
    phone.get_by_label("问题描述").fill(DESCRIPTION)
    assert phone.locator("#id_building").input_value() == str(building.pk)  # from the QR
    phone.locator("#id_unit").fill("2单元601")
    phone.locator("#id_photos").set_input_files(
        [{"name": "IMG_0412.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    phone.locator("#id_phone").fill("138 0013 8000")
    phone.locator("#id_consent_contact").check()
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/\?new=1$"))

    assert "谢谢，您反映的问题我们已收到。" in phone.locator("[role=status]").inner_text()
    code = phone.locator("#track-code").inner_text().strip()
    assert CODE_RE.match(code), code
    assert phone.locator("[data-status]").inner_text() == "已收到，等待受理"
    assert "13800138000" not in phone.content()

    g = Grievance.objects.get(tracking_code=code)
    assert (g.compound, g.building, g.unit, g.category.code) == (compound, building,
                                                                 "2单元601", "leak")
    assert (g.channel, g.status, g.level) == ("qr", Status.RECEIVED, "compound")
    assert g.description == DESCRIPTION and g.reporter_phone == "13800138000"
    stored = GrievancePhoto.objects.get(grievance=g)
    with stored.image.open("rb") as f:
        data = f.read()
    assert data != photo and not has_gps(data)  # re-encoded, GPS gone
    assert (stored.width, stored.height) == (800, 600)

    # --- the community office, on a desktop ----------------------------------------------
    sign_in(page, base, "east-a")
    page.goto(f"{base}/grievances/")
    assert page.locator("h1").first.inner_text().startswith("居民诉求")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_url(f"{base}/grievances/{g.pk}/")
    assert code in page.locator("h1").inner_text()
    assert DESCRIPTION in page.locator(".g-description").inner_text()
    # The reporter's phone is masked for community staff (PIPL).
    contact = page.locator("#contact").inner_text()
    assert "138****8000" in contact and "13800138000" not in contact
    # The photo is served through the protected media view, and it loads.
    thumb = page.locator(".thumbs img")
    assert thumb.count() == 1
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())

    # Accept.
    page.get_by_role("button", name="标记为“已受理”").click()
    page.wait_for_url(f"{base}/grievances/{g.pk}/")
    assert "诉求状态已改为“已受理”。" in page.locator("body").inner_text()
    g.refresh_from_db()
    assert g.status == Status.ACCEPTED

    # Assign: the compound level, the property company, the worker.
    assign = page.locator("#assign")
    assign.locator("#id_assign-level").select_option("compound")
    assign.locator("#id_assign-party").select_option("property_company")
    assign.locator("#id_assign-party_name").fill("长江物业")
    assign.locator("#id_assign-assignee").select_option(str(worker.pk))
    assign.get_by_role("button", name="指派").click()
    page.wait_for_url(f"{base}/grievances/{g.pk}/")
    assert "诉求已指派。" in page.locator("body").inner_text()
    g.refresh_from_db()
    assert (g.status, g.level, g.party, g.party_name, g.assignee) == (
        Status.ASSIGNED, "compound", "property_company", "长江物业", worker)
    assert g.due_at is not None

    # A public reply.
    reply = page.locator("#reply")
    reply.locator("#id_reply-text").fill(FIRST_REPLY)
    assert not reply.locator("#id_reply-internal").is_checked()
    reply.get_by_role("button", name="发送").click()
    page.wait_for_url(re.compile(rf"/grievances/{g.pk}/"))
    assert FIRST_REPLY in page.locator("#timeline").inner_text()

    # Resolve, with what was done as the public reply.
    page.locator("#id_move-reply").fill(RESOLVED_REPLY)
    page.get_by_role("button", name="标记为“已办结”").click()
    page.wait_for_url(f"{base}/grievances/{g.pk}/")
    assert "诉求状态已改为“已办结”。" in page.locator("body").inner_text()
    g.refresh_from_db()
    assert g.status == Status.RESOLVED and g.resolved_at is not None
    assert list(Reply.objects.filter(grievance=g).values_list("text", "public", "by")) == [
        (FIRST_REPLY, True, worker.pk), (RESOLVED_REPLY, True, worker.pk)]

    # --- the resident reloads the tracking page and rates ----------------------------------
    phone.reload()
    assert phone.locator("[data-status]").inner_text() == "已办结，请您确认"
    replies = phone.locator(".timeline").inner_text()
    assert FIRST_REPLY in replies and RESOLVED_REPLY in replies
    assert "李娜" not in phone.content() and "east-a" not in phone.content()
    assert phone.locator("#confirm h2").inner_text() == "问题解决了吗？"
    phone.locator("#confirm label.tile").filter(
        has=phone.get_by_text("满意", exact=True)).click()
    assert phone.locator("#confirm input[value=satisfied]").is_checked()
    phone.get_by_role("button", name="确认并评价").click()
    phone.wait_for_url(re.compile(rf"/t/{code}/\?done=rated$"))
    assert "感谢您的评价，该诉求已办结关闭。" in phone.locator("[role=status]").inner_text()
    assert phone.locator("[data-status]").inner_text() == "已关闭"
    assert phone.locator("#confirm").count() == 0

    g.refresh_from_db()
    assert (g.status, g.rating) == (Status.CLOSED, "satisfied")
    assert g.closed_at is not None and g.rated_at is not None
    # Every step left its event, in order.
    assert list(g.events.values_list("kind", "from_status", "to_status")) == [
        (EventKind.SUBMITTED, "", Status.RECEIVED),
        (EventKind.STATUS, Status.RECEIVED, Status.ACCEPTED),
        (EventKind.ASSIGNED, Status.ACCEPTED, Status.ASSIGNED),
        (EventKind.REPLIED, "", ""),
        (EventKind.REPLIED, "", ""),
        (EventKind.STATUS, Status.ASSIGNED, Status.RESOLVED),
        (EventKind.RATED, Status.RESOLVED, Status.CLOSED),
    ]
