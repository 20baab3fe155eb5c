import pytest

from tests.conftest import DEMO_PASSWORD, Area, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_sees_the_home_page_in_chinese(live_server, page, tmp_path):
    area = Area()
    area.compound("长江路小区", area.east_a, households=120)
    make_staff("east", "subdistrict", subdistrict=area.east)

    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "工作人员登录"
    page.get_by_label("用户名").fill("east")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()

    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text().startswith("概览")
    assert "黄岛街道" in page.locator(".kpis").evaluate("e => document.body.innerText")
    kpi = page.locator(".kpi", has_text="小区").first.locator("strong").inner_text()
    assert kpi == "1"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.get_by_role("link", name="小区", exact=True).click()
    assert page.get_by_role("link", name="长江路小区").is_visible()


def test_resident_page_fits_a_phone(live_server, phone):
    phone.goto(f"{live_server.url}/r/")
    assert "扫描" in phone.locator("main").inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the phone page must not scroll sideways"
