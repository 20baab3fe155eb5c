"""Writes of satisfaction grading (请您阅卷): open and close a round, print grading codes,
and take a resident's grading (once per code, once per phone, in a round).

Codes reuse the household codes' generator, normaliser and keyed hash
(consultation.models.codes); a phone is kept only as the same keyed hash of
"grading-phone:<round>:<phone>", so it never lies in the database in clear and cannot
be matched across rounds. Submissions are counted per client address in the cache:
past the limit every attempt from that address is refused (429) until the window ends.
"""

import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Dwelling, User
from compounds.ratelimit import attempts, record_attempt
from compounds.selectors import compounds_visible_to
from compounds.validation import Errors, add_error, as_id
from consultation.models.codes import code_hash, code_normalize, code_well_formed
from consultation.models.grading import (
    ASPECT_LABELS,
    ASPECTS,
    COMMENTS_MAX,
    TITLE_MAX,
    GradingCode,
    GradingResponse,
    GradingRound,
    Satisfaction,
)
from consultation.selectors.grading import rounds_visible_to
from consultation.services.codes import IssuedCode, printed_codes_issue
from consultation.services.rows import locked_or_404
from grievances.services.intake import PHONE_RE, normalize_phone

SUBMIT_LIMIT = 20
SUBMIT_WINDOW = 10 * 60  # seconds
_LIMIT_SCOPE = "consultation-grading"


# --- the per-address limit -------------------------------------------------------------


def grading_limit_check(client: str) -> None:
    """Refuse (429) an address that has sent too many gradings lately."""
    if attempts(_LIMIT_SCOPE, client, window=SUBMIT_WINDOW) >= SUBMIT_LIMIT:
        raise ApplicationError(
            _("Too many gradings were sent from this network. Please wait %(minutes)s "
              "minutes and try again.") % {"minutes": SUBMIT_WINDOW // 60},
            status_code=429,
        )


def grading_limit_count(client: str) -> None:
    """Count one attempt against the address (compounds.ratelimit.client_address)."""
    record_attempt(_LIMIT_SCOPE, client, window=SUBMIT_WINDOW)


# --- rounds ----------------------------------------------------------------------------


def phone_hash(*, round_id: int, phone: str) -> str:
    """The keyed hash a phone is kept as, for one response per phone in a round."""
    return code_hash(f"grading-phone:{round_id}:{phone}")


def _round_for(by: User, round_id) -> GradingRound:
    """The round, with its compound, locked."""
    return locked_or_404(rounds_visible_to(by).select_related("compound"), round_id,
                         what="grading round")


@transaction.atomic
def round_open(*, by: User, compound_id: int, title: str, opens_on: date | None = None,
               closes_on: date | None = None) -> GradingRound:
    """Open residents' grading of a compound's finished work (staff judge that it is
    finished). At most one unclosed round per compound (409 otherwise); a round whose
    last day has passed is closed on the way."""
    errors: Errors = {}
    today = timezone.localdate()
    pk = as_id(compound_id)
    compound = (compounds_visible_to(by).select_for_update().filter(pk=pk).first()
                if pk else None)
    if compound is None:
        add_error(errors, "compound", _("Choose a compound in your area."))
    title = (title or "").strip()
    if not title:
        add_error(errors, "title", _("Give the round a title, e.g. “2025 renovation: "
                                     "please grade our work”."))
    elif len(title) > TITLE_MAX:
        add_error(errors, "title", _("At most %(max)s characters.") % {"max": TITLE_MAX})
    opens_on = opens_on or today
    if closes_on is not None:
        if closes_on < opens_on:
            add_error(errors, "closes_on", _("The last day cannot be before the first."))
        elif closes_on < today:
            add_error(errors, "closes_on", _("The last day cannot be in the past."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    GradingRound.objects.filter(compound=compound, closed_at__isnull=True,
                                closes_on__lt=today).update(closed_at=now)
    if GradingRound.objects.filter(compound=compound, closed_at__isnull=True).exists():
        raise ApplicationError(
            _("A grading round of this compound is still open: close it before opening a "
              "new one."), status_code=409)
    grading_round = GradingRound(compound=compound, title=title, opens_on=opens_on,
                                 closes_on=closes_on, opened_by=by)
    try:
        with transaction.atomic():
            grading_round.save()
    except IntegrityError as exc:  # opened at the same moment by someone else
        raise ApplicationError(
            _("A grading round of this compound is still open: close it before opening a "
              "new one."), status_code=409) from exc
    return grading_round


@transaction.atomic
def round_close(*, by: User, round_id: int) -> GradingRound:
    """Close a round now. Closing a closed round changes nothing."""
    grading_round = _round_for(by, round_id)
    if grading_round.closed_at is None:
        grading_round.closed_at = timezone.now()
        grading_round.closed_by = by
        grading_round.save(update_fields=["closed_at", "closed_by"])
    return grading_round


# --- grading codes ---------------------------------------------------------------------


@transaction.atomic
def grading_codes_issue(*, by: User, round_id: int, building_id: int | None = None
                        ) -> list[IssuedCode]:
    """A new grading code for every dwelling of the round's compound (or of one of its
    buildings) that has not graded yet, revoking the code each had. The plaintext codes
    are returned once, to be printed; only their hashes are kept."""
    grading_round = _round_for(by, round_id)
    if grading_round.closed_at is not None:
        raise ApplicationError(_("This grading round is closed: no more codes."),
                               status_code=409)
    dwellings = (Dwelling.objects.filter(building__compound_id=grading_round.compound_id)
                 .select_related("building").order_by("building__number", "unit", "number"))
    if building_id not in (None, ""):
        pk = as_id(building_id)
        building = (Building.objects.filter(pk=pk, compound_id=grading_round.compound_id)
                    .first() if pk else None)
        if building is None:
            raise ValidationError({"building": _("This building is not in the compound.")})
        dwellings = dwellings.filter(building=building)
    graded = GradingCode.objects.filter(round=grading_round, used_at__isnull=False)
    dwellings = list(dwellings.exclude(pk__in=graded.values("dwelling_id")))
    if not dwellings:
        raise ValidationError({"building": _("There is no dwelling left to print a code "
                                             "for: every registered dwelling has graded, "
                                             "or none is registered.")})
    return printed_codes_issue(GradingCode, by=by, dwellings=dwellings, round=grading_round)


# --- a resident's grading --------------------------------------------------------------


def _already(field: str) -> ValidationError:
    return ValidationError({field: _(
        "You have already graded this round. Thank you for taking part: your grading "
        "has been counted.")})


@transaction.atomic
def grading_submit(*, round_id: int, overall: str, quality: str, environment: str,
                   site_management: str, comments: str = "", code: str = "",
                   phone: str = "", client: str = "") -> GradingResponse:
    """Take one resident's grading of an open round, with a grading code or a mobile
    number (a code, when both are given). One response per code and per phone."""
    grading_limit_check(client)
    grading_limit_count(client)
    # No gate: residents grade without an account, every round is theirs to find.
    grading_round = locked_or_404(GradingRound.objects.all(), round_id, what="grading round")
    if not grading_round.is_open_on(timezone.localdate()):
        raise ApplicationError(_("This grading round is not open."), status_code=409)

    errors: Errors = {}
    ratings = {"overall": overall, "quality": quality, "environment": environment,
               "site_management": site_management}
    for aspect in ASPECTS:
        if ratings[aspect] not in Satisfaction.values:
            add_error(errors, aspect, _("Choose satisfied, basically satisfied or "
                                        "unsatisfied for “%(aspect)s”.")
                      % {"aspect": ASPECT_LABELS[aspect]})
    comments = (comments or "").strip()
    if len(comments) > COMMENTS_MAX:
        add_error(errors, "comments",
                  _("Keep it to at most %(max)s characters (this text has %(length)s).")
                  % {"max": COMMENTS_MAX, "length": len(comments)})

    code_row, digest = None, ""
    typed_code = code_normalize(code)
    typed_phone = normalize_phone(unicodedata.normalize("NFKC", phone or ""))
    if typed_code:
        if not code_well_formed(typed_code):
            add_error(errors, "code", _("A grading code has 10 letters and digits, like "
                                        "ABCD-EFGH-JK. Check it against your slip."))
        else:
            code_row = (GradingCode.objects.select_for_update()
                        .filter(code_hash=code_hash(typed_code)).first())
            if (code_row is None or code_row.revoked_at
                    or code_row.round_id != grading_round.pk):
                add_error(errors, "code", _("This grading code is not valid. Check it "
                                            "against your slip, or give your mobile "
                                            "number instead."))
                code_row = None
            elif code_row.used_at:
                raise _already("code")
    elif typed_phone:
        if not PHONE_RE.fullmatch(typed_phone):
            add_error(errors, "phone", _("Give a mainland mobile number of 11 digits, e.g. "
                                         "13800138000."))
        else:
            digest = phone_hash(round_id=grading_round.pk, phone=typed_phone)
            if GradingResponse.objects.filter(round=grading_round,
                                              phone_hash=digest).exists():
                raise _already("phone")
    else:
        add_error(errors, "phone", _("Give your mobile number, or the grading code on "
                                     "your slip: each household grades once."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    response = GradingResponse(round=grading_round, comments=comments, code=code_row,
                               phone_hash=digest, submitted_at=now, **ratings)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # the same phone or code, a moment earlier
        raise _already("code" if code_row else "phone") from exc
    if code_row is not None:
        code_row.used_at = now
        code_row.save(update_fields=["used_at"])
    return response

