import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_speaks_chinese(client):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "工作人员登录" in html


def test_login_page_switches_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    html = client.get(reverse("login")).content.decode()
    assert "Staff sign-in" in html


def test_sign_in_reaches_the_home_page(client, area, east_user):
    response = client.post(
        reverse("login"), {"username": "east", "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    html = response.content.decode()
    assert "概览" in html and "黄岛街道" in html


def test_wrong_password_gets_a_clear_message(client, east_user):
    response = client.post(reverse("login"), {"username": "east", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_repeated_failures_lock_the_account(client, east_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "east", "password": "wrong"})
    # Locked: even the right password is refused now, with the reason in Chinese.
    response = client.post(reverse("login"), {"username": "east", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_token_auth_round_trip(area, east_user):
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/", {"username": "east", "password": DEMO_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    names = sorted(r["name"] for r in api.get("/api/v1/compounds/").json()["results"])
    assert names == ["育才苑", "长江路小区"]


def test_token_with_wrong_password_is_400_with_reason(east_user):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "east", "password": "bad"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_token_with_missing_fields_names_them():
    response = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_endpoint_locks_out_too(east_user, settings):
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "east", "password": "x"}, format="json")
    response = api.post(
        "/api/v1/auth/token/", {"username": "east", "password": DEMO_PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]


def test_bad_token_is_401():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/compounds/").status_code == 401
