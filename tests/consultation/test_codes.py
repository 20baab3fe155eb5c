"""Online voting with household codes: issuing (hashed only), one vote per code,
reissue and revocation, bad input, the brute-force limit, the stage guard, the API and
the pages (staff slips, the resident's code → choice → confirm flow), and the area gate."""

import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone
from rest_framework.test import APIClient

from compounds.errors import ApplicationError
from consultation.models import Ballot, BallotEvent, Rule, Scope, Topic, TopicKind
from consultation.models.codes import (
    CODE_ALPHABET,
    HouseholdCode,
    code_format,
    code_hash,
    code_normalize,
)
from consultation.services import topic_create
from consultation.services.codes import (
    WRONG_CODE_LIMIT,
    code_check,
    codes_issue,
    vote_with_code,
)

VOTES = "/api/v1/consultation/votes/"
VOTE_PAGE = "/r/vote/"
PRINTED = re.compile(r"\b([%s]{4}-[%s]{4}-[%s]{2})\b" % ((CODE_ALPHABET,) * 3))


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def place(area):
    """长江路小区 (east): building 1 unit 1 (101, 102), unit 2 (101), building 2 (101)."""
    c = area.compounds["长江路小区"]
    d = {
        "b1u1": area.dwelling(c, building="1", unit="1", number="101", owner_ref="A"),
        "b1u1b": area.dwelling(c, building="1", unit="1", number="102", owner_ref="B"),
        "b1u2": area.dwelling(c, building="1", unit="2", number="101", owner_ref="C"),
        "b2": area.dwelling(c, building="2", unit="1", number="101", owner_ref="D"),
    }
    d["b1u1"].owner_name = "王秘密"
    d["b1u1"].save()
    d["compound"] = c
    return d


@pytest.fixture
def topic(east_user, place):
    return topic_create(by=east_user, compound_id=place["compound"].pk, title="屋面防水改造",
                        scope=Scope.COMPOUND, kind=TopicKind.RENOVATION_PLAN,
                        rule=Rule.CIVIL_CODE_MAJOR)


def issue(user, topic, **kw):
    return {i.dwelling.pk: i.code for i in codes_issue(by=user, topic_id=topic.pk, **kw)}


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


# --- issuing ---------------------------------------------------------------------------


def test_codes_issue_one_per_dwelling_stored_only_as_hashes(east_user, topic, place):
    codes = issue(east_user, topic)
    assert set(codes) == {place[k].pk for k in ("b1u1", "b1u1b", "b1u2", "b2")}
    assert len(set(codes.values())) == 4
    for dwelling_id, code in codes.items():
        assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
        row = HouseholdCode.objects.get(dwelling_id=dwelling_id)
        assert row.code_hash == code_hash(code) and len(row.code_hash) == 64
        assert row.issued_by == east_user and row.used_at is None and row.revoked_at is None
    # The plaintext is in no text column of any table, with or without its dashes.
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                for code in codes.values():
                    for text in (code, code_format(code)):
                        assert not model._default_manager.filter(
                            **{f"{field.name}__icontains": text}).exists(), (model, field)


def test_code_normalise_and_format():
    assert code_format("ABCDEFGHJK") == "ABCD-EFGH-JK"
    assert code_normalize(" abcd-efgh jk ") == "ABCDEFGHJK"
    assert code_normalize("ＡＢＣＤ－ＥＦＧＨ－ＪＫ") == "ABCDEFGHJK"  # full-width input method
    assert code_hash("ABCDEFGHJK") != code_hash("ABCDEFGHJM")


def test_reissue_revokes_the_old_code(east_user, topic, place):
    first = issue(east_user, topic)
    second = issue(east_user, topic)
    d = place["b2"].pk
    assert first[d] != second[d]
    assert HouseholdCode.objects.filter(revoked_at__isnull=False).count() == 4
    assert HouseholdCode.objects.filter(revoked_at__isnull=True).count() == 4
    assert "code" in errors_of(lambda: vote_with_code(code=first[d], choice="agree"))
    assert vote_with_code(code=second[d], choice="agree").dwelling_id == d


def test_reissue_of_one_dwelling_leaves_the_others(east_user, topic, place):
    first = issue(east_user, topic)
    again = issue(east_user, topic, dwelling_ids=[place["b1u2"].pk])
    assert list(again) == [place["b1u2"].pk]
    assert HouseholdCode.objects.filter(revoked_at__isnull=False).get().dwelling == place["b1u2"]
    assert vote_with_code(code=first[place["b2"].pk], choice="disagree").choice == "disagree"


def test_issue_to_dwellings_outside_the_scope_is_a_field_error(east_user, place, area):
    unit_topic = topic_create(by=east_user, compound_id=place["compound"].pk, title="加装电梯",
                              scope=Scope.UNIT, building_id=place["b1u1"].building_id,
                              unit="1", kind=TopicKind.ELEVATOR, rule=Rule.CIVIL_CODE_MAJOR)
    west = area.dwelling(area.compounds["石油大院"], owner_ref="W")
    errors = errors_of(lambda: codes_issue(
        by=east_user, topic_id=unit_topic.pk,
        dwelling_ids=[place["b1u1"].pk, place["b1u2"].pk, west.pk, "x"]))
    assert set(errors) == {"dwellings"}
    for bad in (place["b1u2"].pk, west.pk, "x"):
        assert str(bad) in errors["dwellings"][0]
    assert not HouseholdCode.objects.exists()
    assert set(issue(east_user, unit_topic)) == {place["b1u1"].pk, place["b1u1b"].pk}


def test_issue_in_another_area_is_404(west_user, roleless_user, topic):
    for user in (west_user, roleless_user):
        with pytest.raises(Http404):
            codes_issue(by=user, topic_id=topic.pk)
    assert not HouseholdCode.objects.exists()


def test_database_keeps_one_live_code_per_dwelling(east_user, topic, place):
    issue(east_user, topic, dwelling_ids=[place["b2"].pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdCode.objects.create(topic=topic, dwelling=place["b2"], code_hash="f" * 64,
                                     issued_at=timezone.now())


# --- voting ----------------------------------------------------------------------------


def test_vote_with_code_records_an_online_ballot_once(east_user, topic, place):
    codes = issue(east_user, topic)
    d = place["b1u1"]
    ballot = vote_with_code(code=codes[d.pk].lower(), choice="agree")
    ballot.refresh_from_db()
    assert (ballot.topic, ballot.dwelling, ballot.choice, ballot.method, ballot.recorded_by) == (
        topic, d, "agree", "online", None)
    event = BallotEvent.objects.get()
    assert (event.dwelling, event.previous, event.choice, event.method) == (
        d, "", "agree", "online")
    assert HouseholdCode.objects.get(dwelling=d).used_at == ballot.cast_at

    errors = errors_of(lambda: vote_with_code(code=codes[d.pk], choice="disagree"))
    assert set(errors) == {"code"}
    assert Ballot.objects.get().choice == "agree" and BallotEvent.objects.count() == 1


def test_vote_with_code_replaces_a_paper_ballot(east_user, topic, place):
    from consultation.services import ballot_cast

    d = place["b2"]
    ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=d.pk, choice="disagree",
                method="paper")
    codes = issue(east_user, topic, dwelling_ids=[d.pk])
    vote_with_code(code=codes[d.pk], choice="agree")
    assert Ballot.objects.get().method == "online"
    assert list(BallotEvent.objects.values_list("previous", "choice")) == [
        ("", "disagree"), ("disagree", "agree")]


@pytest.mark.parametrize("code", ["", "   ", "ABCD", "ABCD-EFGH-J1", "ABCD-EFGH-JKM"])
def test_malformed_or_missing_code_and_bad_choice_together(db, code):
    assert set(errors_of(lambda: vote_with_code(code=code, choice="maybe"))) == {
        "code", "choice"}


def test_unknown_code_and_bad_choice(east_user, topic):
    issue(east_user, topic)
    assert set(errors_of(lambda: vote_with_code(code="ABCD-EFGH-JK", choice="agree"))) == {
        "code"}
    assert not Ballot.objects.exists()


def test_good_code_with_bad_choice_is_not_used_up(east_user, topic, place):
    codes = issue(east_user, topic)
    code = codes[place["b2"].pk]
    assert set(errors_of(lambda: vote_with_code(code=code, choice=""))) == {"choice"}
    assert HouseholdCode.objects.get(dwelling=place["b2"]).used_at is None
    assert vote_with_code(code=code, choice="abstain").choice == "abstain"


def test_wrong_codes_are_limited_per_client(east_user, topic, place):
    codes = issue(east_user, topic)
    for _ in range(WRONG_CODE_LIMIT):
        with pytest.raises(ValidationError):
            vote_with_code(code="ZZZZ-ZZZZ-ZZ", choice="agree", client="10.0.0.1")
    # Even the right code is refused from that address until the window ends …
    with pytest.raises(ApplicationError) as exc:
        vote_with_code(code=codes[place["b2"].pk], choice="agree", client="10.0.0.1")
    assert exc.value.status_code == 429
    with pytest.raises(ApplicationError):
        code_check(code=codes[place["b2"].pk], client="10.0.0.1")
    # … while another address is not affected.
    assert vote_with_code(code=codes[place["b2"].pk], choice="agree", client="10.0.0.2")


def test_stage_guard_refuses_codes_and_votes_once_applied(east_user, topic, place):
    if not any(f.name == "stage" for f in Topic._meta.get_fields()):
        pytest.skip("Topic has no `stage` field yet (the topic-workflow slice adds it)")
    codes = issue(east_user, topic)
    Topic.objects.filter(pk=topic.pk).update(stage="apply")
    for call in (lambda: codes_issue(by=east_user, topic_id=topic.pk),
                 lambda: vote_with_code(code=codes[place["b2"].pk], choice="agree")):
        with pytest.raises(ApplicationError) as exc:
            call()
        assert exc.value.status_code == 409
    assert not Ballot.objects.exists()
    Topic.objects.filter(pk=topic.pk).update(stage="vote")
    assert vote_with_code(code=codes[place["b2"].pk], choice="agree")


# --- the API ---------------------------------------------------------------------------


def test_api_vote_201_without_account_or_csrf(east_user, topic, place):
    codes = issue(east_user, topic)
    api = APIClient(enforce_csrf_checks=True)
    response = api.post(VOTES, {"code": codes[place["b2"].pk], "choice": "agree"},
                        format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"topic": topic.pk, "choice": "agree"}
    assert Ballot.objects.get().method == "online"

    again = api.post(VOTES, {"code": codes[place["b2"].pk], "choice": "agree"}, format="json")
    assert again.status_code == 400 and set(again.json()) == {"code"}


def test_api_vote_400_by_field(db):
    response = APIClient().post(VOTES, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "choice"}


def test_api_vote_429_after_too_many_wrong_codes(db):
    api = APIClient(REMOTE_ADDR="192.0.2.7")
    for _ in range(WRONG_CODE_LIMIT):
        assert api.post(VOTES, {"code": "ZZZZZZZZZZ", "choice": "agree"},
                        format="json").status_code == 400
    response = api.post(VOTES, {"code": "ZZZZZZZZZZ", "choice": "agree"}, format="json")
    assert response.status_code == 429 and response.json()["detail"]
    # A forwarded header does not pick a fresh address.
    forged = api.post(VOTES, {"code": "ZZZZZZZZZZ", "choice": "agree"}, format="json",
                      HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forged.status_code == 429


# --- the staff pages -------------------------------------------------------------------


def codes_url(topic):
    return f"/consultation/topics/{topic.pk}/codes/"


def test_codes_page_counts(client, east_user, topic, place):
    codes = issue(east_user, topic)
    vote_with_code(code=codes[place["b2"].pk], choice="agree")
    issue(east_user, topic, dwelling_ids=[place["b1u2"].pk])
    client.force_login(east_user)
    response = client.get(codes_url(topic))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.dwellings, summary.live, summary.used, summary.revoked,
            summary.without_used_code) == (4, 3, 1, 1, 3)
    rows = {r.pk: r for r in response.context["rows"]}
    assert rows[place["b2"].pk].code_used_at and not rows[place["b2"].pk].live_issued_at
    assert rows[place["b1u1"].pk].live_issued_at and not rows[place["b1u1"].pk].code_used_at
    assert "王秘密" not in response.content.decode()


def test_codes_page_constant_queries(client, east_user, topic, area, place,
                                     django_assert_num_queries):
    client.force_login(east_user)
    issue(east_user, topic)
    client.get(codes_url(topic))  # warm up (session, content types)
    with django_assert_num_queries(6) as small:
        assert client.get(codes_url(topic)).status_code == 200
    for n in range(10):
        area.dwelling(place["compound"], building="3", number=f"{n + 1}01", owner_ref=f"N{n}")
    issue(east_user, topic)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(codes_url(topic))
    assert len(response.context["rows"]) == 14


def test_issue_all_renders_every_slip_once(client, east_user, topic, place):
    codes = issue(east_user, topic)
    vote_with_code(code=codes[place["b2"].pk], choice="agree")
    client.force_login(east_user)
    response = client.post(codes_url(topic))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    printed = PRINTED.findall(html)
    # Every dwelling without a used code got a slip, showing a code that is live now.
    assert len(printed) == 3
    live = HouseholdCode.objects.filter(used_at__isnull=True, revoked_at__isnull=True)
    assert {code_hash(code_normalize(p)) for p in printed} == set(
        live.values_list("code_hash", flat=True))
    assert set(live.values_list("dwelling_id", flat=True)) == {
        place[k].pk for k in ("b1u1", "b1u1b", "b1u2")}
    assert html.count('<svg viewBox=') == 3 and 'class="qr"' in html
    assert "testserver/r/vote/" in html  # the short address, for typing the code by hand
    assert "屋面防水改造" in html and "长江路小区" in html and "王秘密" not in html


def test_reissue_one_dwelling_from_the_page(client, east_user, topic, place):
    issue(east_user, topic)
    client.force_login(east_user)
    response = client.post(codes_url(topic), {"dwelling": place["b1u2"].pk})
    printed = PRINTED.findall(response.content.decode())
    assert len(printed) == 1
    row = HouseholdCode.objects.get(code_hash=code_hash(code_normalize(printed[0])))
    assert row.dwelling == place["b1u2"] and row.revoked_at is None


def test_reissue_outside_scope_from_the_page_changes_nothing(client, east_user, topic, area):
    west = area.dwelling(area.compounds["石油大院"], owner_ref="W")
    client.force_login(east_user)
    response = client.post(codes_url(topic), {"dwelling": west.pk})
    assert response.status_code == 302 and not HouseholdCode.objects.exists()


def test_codes_page_of_another_area_is_404(client, west_user, topic):
    client.force_login(west_user)
    assert client.get(codes_url(topic)).status_code == 404
    assert client.post(codes_url(topic)).status_code == 404
    assert not HouseholdCode.objects.exists()


def test_codes_page_needs_an_account(client, topic):
    assert client.get(codes_url(topic)).status_code == 302


# --- the resident's vote page ----------------------------------------------------------


def test_vote_page_flow(client, east_user, topic, place):
    codes = issue(east_user, topic)
    d = place["b1u1"]
    code = codes[d.pk]
    page = client.get(VOTE_PAGE, {"code": code})
    assert page.status_code == 200 and f'value="{code_format(code)}"' in page.content.decode()

    chosen = client.post(VOTE_PAGE, {"step": "code", "code": code_format(code).lower()})
    html = chosen.content.decode()
    assert chosen.context["step"] == "choose"
    assert "屋面防水改造" in html and "长江路小区" in html and "王秘密" not in html
    assert chosen.context["dwelling"] and 'value="agree"' in html

    confirm = client.post(VOTE_PAGE, {"step": "choose", "code": code, "choice": "agree"})
    assert confirm.context["step"] == "confirm" and confirm.context["chosen"][0] == "agree"
    assert not Ballot.objects.exists()  # nothing recorded before the confirmation

    done = client.post(VOTE_PAGE, {"step": "confirm", "code": code, "choice": "agree"})
    assert done.status_code == 302 and done["Location"] == "/r/vote/done/"
    ballot = Ballot.objects.get()
    assert (ballot.dwelling, ballot.choice, ballot.method, ballot.recorded_by) == (
        d, "agree", "online", None)
    assert BallotEvent.objects.get().method == "online"
    thanks = client.get("/r/vote/done/")
    assert thanks.context["done"]["choice"] == "agree"
    assert "屋面防水改造" in thanks.content.decode()

    used = client.post(VOTE_PAGE, {"step": "confirm", "code": code, "choice": "disagree"})
    assert used.context["step"] == "code" and "code" in used.context["form"].errors
    assert Ballot.objects.get().choice == "agree"


def test_vote_page_wrong_code_keeps_the_input(client, east_user, topic):
    issue(east_user, topic)
    response = client.post(VOTE_PAGE, {"step": "code", "code": "abcd-efgh-jk"})
    assert response.status_code == 200 and response.context["step"] == "code"
    assert set(response.context["form"].errors) == {"code"}
    assert 'value="abcd-efgh-jk"' in response.content.decode()


def test_vote_page_bad_choice_asks_again(client, east_user, topic, place):
    code = issue(east_user, topic)[place["b2"].pk]
    response = client.post(VOTE_PAGE, {"step": "choose", "code": code, "choice": "maybe"})
    assert response.context["step"] == "choose" and "choice" in response.context["form"].errors
    response = client.post(VOTE_PAGE, {"step": "confirm", "code": code, "choice": "maybe"})
    assert response.context["step"] == "choose" and "choice" in response.context["form"].errors
    assert not Ballot.objects.exists()


def test_vote_page_honeypot_records_nothing(client, east_user, topic, place):
    code = issue(east_user, topic)[place["b2"].pk]
    response = client.post(VOTE_PAGE, {"step": "confirm", "code": code, "choice": "agree",
                                       "website": "http://spam.example"})
    assert response.status_code == 400 and not Ballot.objects.exists()


def test_vote_page_needs_csrf(east_user, topic, place):
    from django.test import Client

    code = issue(east_user, topic)[place["b2"].pk]
    response = Client(enforce_csrf_checks=True).post(
        VOTE_PAGE, {"step": "confirm", "code": code, "choice": "agree"})
    assert response.status_code == 403 and not Ballot.objects.exists()


def test_vote_page_429_after_too_many_wrong_codes(client, db):
    for _ in range(WRONG_CODE_LIMIT):
        client.post(VOTE_PAGE, {"step": "code", "code": "ZZZZZZZZZZ"})
    response = client.post(VOTE_PAGE, {"step": "code", "code": "ZZZZZZZZZZ"})
    assert response.status_code == 429 and response.context["form"].non_field_errors()


def test_codes_page_once_applied_issues_nothing(client, east_user, topic):
    if not any(f.name == "stage" for f in Topic._meta.get_fields()):
        pytest.skip("Topic has no `stage` field yet (the topic-workflow slice adds it)")
    Topic.objects.filter(pk=topic.pk).update(stage="supervise")
    client.force_login(east_user)
    assert client.get(codes_url(topic)).context["voting_closed"] is True
    response = client.post(codes_url(topic))
    assert response.status_code == 302 and not HouseholdCode.objects.exists()
