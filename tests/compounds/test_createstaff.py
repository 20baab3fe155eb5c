import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command, execute_from_command_line
from django.test import RequestFactory

from compounds.models import Role, User

pytestmark = pytest.mark.django_db
PASSWORD = "long-enough-pass-2020"


def run(*args):
    call_command("createstaff", *args)


def test_creates_a_subdistrict_account_that_can_sign_in(area):
    run("--username", "li", "--password", PASSWORD, "--role", "subdistrict", "--area", "黄岛街道")
    user = User.objects.get(username="li")
    assert (user.role, user.subdistrict, user.community) == (Role.SUBDISTRICT, area.east, None)
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="li", password=PASSWORD) == user


def test_creates_community_and_district_accounts(area):
    run("--username", "wang", "--password", PASSWORD, "--role", "community", "--area", "东岛社区")
    run("--username", "zhao", "--password", PASSWORD, "--role", "district")
    assert User.objects.get(username="wang").community == area.west_a
    district = User.objects.get(username="zhao")
    assert (district.role, district.subdistrict, district.community) == ("district", None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "subdistrict", "--area", "不存在街道"], "不存在街道"),
        (["--role", "subdistrict"], "area"),
        # 黄岛街道 is a subdistrict, not a community
        (["--role", "community", "--area", "黄岛街道"], "黄岛街道"),
        (["--role", "district", "--area", "黄岛街道"], "area"),
    ],
)
def test_wrong_area_is_a_clear_error(area, args, message):
    with pytest.raises(CommandError, match=message):
        run("--username", "x", "--password", PASSWORD, *args)
    assert not User.objects.filter(username="x").exists()


def test_unknown_role_is_refused_by_the_parser(area):
    with pytest.raises(CommandError, match="role"):
        run("--username", "x", "--password", PASSWORD, "--role", "mayor")


def test_weak_password_and_taken_username_are_refused(area):
    with pytest.raises(CommandError, match="password"):
        run("--username", "x", "--password", "123", "--role", "district")
    run("--username", "x", "--password", PASSWORD, "--role", "district")
    with pytest.raises(CommandError, match="username"):
        run("--username", "x", "--password", PASSWORD, "--role", "district")


# Transactional: run_from_argv closes the connection when the command ends.
@pytest.mark.django_db(transaction=True)
def test_command_exits_non_zero_from_the_command_line(area, capsys):
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(
            ["manage.py", "createstaff", "--username", "x", "--password", PASSWORD,
             "--role", "community", "--area", "没有这个社区"]
        )
    assert exited.value.code != 0
    assert "没有这个社区" in capsys.readouterr().err
    assert not User.objects.filter(username="x").exists()
