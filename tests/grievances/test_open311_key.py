"""`manage.py open311_key`: a fresh key on the last line, only its SHA-256 stored."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from grievances.models import Grievance, Open311Key

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("open311_key", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_the_key_on_its_last_line_and_stores_only_the_hash():
    lines = run("--name", "某某小程序")
    key = lines[-1]
    assert len(key) >= 40 and " " not in key
    client = Open311Key.objects.get()
    assert client.name == "某某小程序" and client.active
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(v) for v in Open311Key.objects.values_list("name", "key_hash").get()]
    assert key not in stored
    # A second key is another key.
    assert run("--name", "某某小程序")[-1] != key
    assert Open311Key.objects.count() == 2


def test_the_printed_key_works(client, area):
    key = run("--name", "App")[-1]
    response = client.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "leak",
        "address_id": str(area.compounds["长江路小区"].pk), "description": "楼顶漏水很严重。"})
    assert response.status_code == 201, response.content
    assert Grievance.objects.get().tracking_code == json.loads(
        response.content)[0]["service_request_id"]


def test_deactivate(client, area):
    key = run("--name", "App")[-1]
    run("--name", "Other")
    run("--deactivate", "App")
    assert list(Open311Key.objects.filter(active=True).values_list("name", flat=True)) == [
        "Other"]
    response = client.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "leak",
        "address_id": str(area.compounds["长江路小区"].pk), "description": "楼顶漏水很严重。"})
    assert response.status_code == 403
    with pytest.raises(CommandError):
        run("--deactivate", "App")  # nothing active left under that name


@pytest.mark.parametrize("args", [(), ("--name", "   "), ("--name", "A", "--deactivate", "B")])
def test_bad_arguments(args):
    with pytest.raises(CommandError):
        run(*args)
    assert not Open311Key.objects.exists()
