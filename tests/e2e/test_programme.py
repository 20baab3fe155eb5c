"""The registry and programme in a real browser: create a compound, put it in a yearly
batch, move its project a stage, and see it on the public page."""

import re

import pytest

from compounds.models import Compound
from renewal.models import Batch, Project
from tests.conftest import DEMO_PASSWORD, Area, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_create_a_compound_add_a_project_and_move_it_a_stage(live_server, page):
    area = Area()
    Batch.objects.create(year=2026, name="老旧小区改造第一批")
    make_staff("east", "subdistrict", subdistrict=area.east)
    base = live_server.url
    sign_in(page, base, "east")

    # A new compound, with one mistake first: the error is in Chinese, beside the field,
    # and what was typed is still there.
    page.goto(f"{base}/compounds/new/")
    page.locator("#id_name").fill("海军大院")
    page.locator("#id_community").select_option(label="南屯社区")
    page.locator("#id_build_year").fill("1850")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#id_name").input_value() == "海军大院"
    assert page.get_by_role("alert").first.is_visible()
    page.locator("#id_build_year").fill("1988")
    page.locator("#id_households").fill("64")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/compounds/\d+/$"))
    assert "海军大院" in page.locator("h1").inner_text()
    compound = Compound.objects.get(name="海军大院")
    assert compound.community == area.east_a

    # Into the yearly batch.
    page.get_by_role("link", name="加入改造计划").click()
    page.locator("#id_batch").select_option(label="2026 老旧小区改造第一批")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/programme/\d+/$"))
    project = Project.objects.get(compound=compound)
    assert project.stage == "planned"
    assert page.locator(".stagebar li.current").inner_text().endswith("列入计划")

    # One stage on, with a note for the record.
    page.locator("#id_note").fill("开始入户摸底，征集居民需求")
    page.get_by_role("button", name="推进到“摸底调查与需求征集”").click()
    page.wait_for_url(f"{base}/programme/{project.pk}/")
    assert page.locator(".stagebar li.current").inner_text().endswith("摸底调查与需求征集")
    assert "开始入户摸底，征集居民需求" in page.locator(".timeline").inner_text()
    project.refresh_from_db()
    assert project.stage == "survey"
    assert list(project.history.values_list("to_stage", "note")) == [
        ("planned", ""), ("survey", "开始入户摸底，征集居民需求"),
    ]

    # Residents see the stage on the public page, without signing in.
    page.context.clear_cookies()
    page.goto(f"{base}/c/{compound.pk}/")
    assert page.locator('[aria-current="step"]').inner_text() == "摸底调查与需求征集"
