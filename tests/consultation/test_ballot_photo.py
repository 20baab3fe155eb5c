"""The photo of a signed paper ballot: checked by content, stored without its EXIF (no GPS
position), kept on the standing ballot and on its history event; by service, page and API."""

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from consultation.models import Ballot, BallotEvent, Rule, Scope, TopicKind
from consultation.services import ballot_cast, topic_create


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 57.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def sheet(content: bytes | None = None, name="签字表决票.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_gps() if content is None else content,
                              content_type="image/jpeg")


def assert_stripped(path: Path):
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()  # no EXIF at all: no GPS, no camera
        assert "exif" not in stored.info


def stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def place(area):
    c = area.compounds["长江路小区"]
    return {"compound": c,
            "d101": area.dwelling(c, number="101", owner_ref="A"),
            "b2": area.dwelling(c, building="2", number="101", owner_ref="B")}


@pytest.fixture
def topic(east_user, place):
    return topic_create(by=east_user, compound_id=place["compound"].pk, title="加装电梯",
                        scope=Scope.BUILDING, building_id=place["d101"].building_id,
                        kind=TopicKind.ELEVATOR, rule=Rule.CIVIL_CODE_MAJOR)


# --- service -----------------------------------------------------------------------------


def test_the_sheet_is_stored_stripped_on_the_ballot_and_its_event(media, topic, place,
                                                                  east_user):
    ballot = ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                         choice="agree", method="paper", sheet_photo=sheet())
    ballot.refresh_from_db()
    event = BallotEvent.objects.get()
    assert ballot.sheet_photo.name.startswith("ballots/")
    assert event.sheet_photo.name == ballot.sheet_photo.name
    assert ballot.sheet_photo.name.endswith(".jpg") and "签字" not in ballot.sheet_photo.name
    assert stored_files(media) == [Path(ballot.sheet_photo.path)]
    assert_stripped(ballot.sheet_photo.path)


def test_a_revote_keeps_each_sheet_in_the_history(media, topic, place, east_user):
    first = ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                        choice="disagree", method="paper", sheet_photo=sheet())
    first_name = first.sheet_photo.name
    second = ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                         choice="agree", method="paper", sheet_photo=sheet())
    assert second.pk == first.pk and second.sheet_photo.name != first_name
    assert list(BallotEvent.objects.values_list("choice", "sheet_photo")) == [
        ("disagree", first_name), ("agree", second.sheet_photo.name)]
    # A vote without a sheet leaves the standing ballot without one; history keeps both.
    third = ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                        choice="agree", method="door_to_door")
    third.refresh_from_db()
    assert not third.sheet_photo
    assert BallotEvent.objects.last().sheet_photo == ""
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize("content", [b"<html>not a photo</html>", b""])
def test_a_file_that_is_not_a_photo_is_a_field_error(media, topic, place, east_user, content):
    with pytest.raises(ValidationError) as exc:
        ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                    choice="agree", method="paper", sheet_photo=sheet(content, "x.jpg"))
    assert list(exc.value.message_dict) == ["sheet_photo"]
    assert not Ballot.objects.exists() and not stored_files(media)


def test_every_bad_field_at_once(media, topic, place, east_user):
    with pytest.raises(ValidationError) as exc:
        ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["b2"].pk,
                    choice="yes", method="paper", sheet_photo=sheet(b"GIF89a", "x.gif"))
    assert set(exc.value.message_dict) == {"choice", "dwelling", "sheet_photo"}
    assert not stored_files(media)


# --- page --------------------------------------------------------------------------------


def ballots_url(topic):
    return reverse("consultation:topic-ballots", args=[topic.pk])


def test_page_records_a_vote_with_its_sheet(client, media, topic, place, east_user):
    client.force_login(east_user)
    response = client.post(ballots_url(topic), {
        "dwelling": place["d101"].pk, "choice": "agree", "method": "paper",
        "sheet_photo": sheet(),
    })
    assert response.status_code == 302, response.context["form"].errors
    ballot = Ballot.objects.get()
    assert (ballot.dwelling, ballot.choice, ballot.recorded_by) == (place["d101"], "agree",
                                                                    east_user)
    assert_stripped(ballot.sheet_photo.path)
    page = client.get(ballots_url(topic))
    assert f'href="/media/{ballot.sheet_photo.name}"' in page.content.decode()


def test_page_refuses_a_non_image_and_keeps_the_input(client, media, topic, place, east_user):
    client.force_login(east_user)
    response = client.post(ballots_url(topic), {
        "dwelling": place["d101"].pk, "choice": "disagree", "method": "meeting",
        "sheet_photo": sheet(b"%PDF-1.4 not a photo", "sheet.pdf"),
    })
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["sheet_photo"]
    html = response.content.decode()
    assert re.search(r'value="disagree"[^>]*checked', html)
    assert re.search(r'<option value="meeting" selected>', html)
    assert f'<option value="{place["d101"].pk}" selected>' in html
    assert not Ballot.objects.exists() and not stored_files(media)


def test_page_refuses_a_dwelling_outside_the_scope(client, media, topic, place, east_user):
    client.force_login(east_user)
    response = client.post(ballots_url(topic), {
        "dwelling": place["b2"].pk, "choice": "agree", "method": "paper", "sheet_photo": sheet(),
    })
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["dwelling"]
    assert not Ballot.objects.exists() and not stored_files(media)


def test_page_of_another_area_is_404(client, media, topic, place, west_user):
    client.force_login(west_user)
    response = client.post(ballots_url(topic), {
        "dwelling": place["d101"].pk, "choice": "agree", "method": "paper", "sheet_photo": sheet(),
    })
    assert response.status_code == 404
    assert not Ballot.objects.exists() and not stored_files(media)


# --- API ---------------------------------------------------------------------------------


def test_api_takes_the_sheet_as_multipart(media, topic, place, east_user):
    api = APIClient()
    api.force_authenticate(east_user)
    url = f"/api/v1/consultation/topics/{topic.pk}/ballots/"
    response = api.post(url, {"dwelling": place["d101"].pk, "choice": "agree",
                              "method": "paper", "sheet_photo": sheet()}, format="multipart")
    assert response.status_code == 201, response.json()
    ballot = Ballot.objects.get()
    assert response.json()["sheet_photo"].endswith(f"/media/{ballot.sheet_photo.name}")
    assert_stripped(ballot.sheet_photo.path)
    bad = api.post(url, {"dwelling": place["d101"].pk, "choice": "agree", "method": "paper",
                         "sheet_photo": sheet(b"not an image", "a.jpg")}, format="multipart")
    assert bad.status_code == 400 and list(bad.json()) == ["sheet_photo"]
    without = api.post(url, {"dwelling": place["d101"].pk, "choice": "disagree",
                             "method": "paper"}, format="json")
    assert without.status_code == 201 and without.json()["sheet_photo"] is None
