"""Taking an issue in: from a resident's phone (QR form, app, Open311) or recorded by staff
(visit, inspection, walk-in, the city hotline's export).

`grievance_submit` checks every field at once (Chinese messages, keyed by the names the
form and the API use), checks the photos by content, gives the issue a tracking code,
writes the SUBMITTED event, the photos and, when the resident left a phone number and
agreed to be contacted, an SMS in the Outbox. Sending is scheduled after commit and may
fail without losing anything: the Outbox row stays until the worker is back.
"""

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Compound, User
from compounds.selectors import compound_get_visible, one_row
from compounds.uploads import CheckedImage, checked_image
from compounds.validation import Errors, add_error, as_id
from grievances.models import (
    Category,
    Channel,
    EventKind,
    Grievance,
    GrievanceEvent,
    GrievancePhoto,
    Level,
    Outbox,
    Priority,
    QRPoint,
    Status,
)
from grievances.selectors import deadline_for
from grievances.tasks import enqueue_outbox_on_commit

logger = logging.getLogger(__name__)

RESIDENT_CHANNELS = (Channel.QR, Channel.API, Channel.OPEN311)
STAFF_CHANNELS = (Channel.VISIT, Channel.INSPECTION, Channel.WALK_IN, Channel.HOTLINE)
# The hotline answers its own callers: an import of its export sends no SMS.
SMS_CHANNELS = (Channel.QR, Channel.API, Channel.OPEN311, Channel.VISIT, Channel.INSPECTION,
                Channel.WALK_IN)

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
UNIT_MAX = 10
NAME_MAX = 40
MAX_PHOTOS = 3
IDEMPOTENCY_KEY_MAX = 80
EXTERNAL_ID_MAX = 64

# No 0/O, 1/I/L: a code read aloud or copied from an SMS cannot be mistyped into another.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 8
_CODE_ATTEMPTS = 5
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—―－·.]+")
PHONE_RE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()（）]+")


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(length))


def format_tracking_code(raw: str) -> str:
    """ABCD2345 → ABCD-2345 (how it is stored, printed, texted and put in URLs)."""
    half = len(raw) // 2
    return f"{raw[:half]}-{raw[half:]}"


def new_tracking_code() -> str:
    return format_tracking_code(new_code(TRACKING_CODE_LENGTH))


def normalize_tracking_code(value: str | None) -> str:
    """What a resident typed ("abcd 2345", "ABCD－2345", "abcd2345") → the stored form
    "ABCD-2345". Codes of another shape (older or imported) come back upper-cased without
    spaces, so a lookup still finds them; None or blank → ""."""
    text = (value or "").strip().upper()
    bare = _SEPARATORS.sub("", text)
    if len(bare) == TRACKING_CODE_LENGTH and all(c in CODE_ALPHABET for c in bare):
        return format_tracking_code(bare)
    return re.sub(r"\s+", "", text)


def normalize_phone(value: str | None) -> str:
    """"+86 138-0013-8000" → "13800138000"; anything else comes back cleaned of spaces
    and dashes only (the caller decides whether it is valid)."""
    phone = _PHONE_NOISE.sub("", (value or "").strip())
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def tracking_url(tracking_code: str) -> str:
    """The absolute address of the tracking page, for SMS and posters (PUBLIC_BASE_URL)."""
    try:
        path = reverse("public-issues:track", args=[tracking_code])
    except NoReverseMatch:  # URLs not wired (a bare test settings module)
        path = f"/t/{tracking_code}/"
    return getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/") + path


def _text(value) -> str:
    """Stripped text; NUL characters (which PostgreSQL refuses to store) dropped."""
    return "" if value is None else str(value).replace("\x00", "").strip()


def _place(errors: Errors, *, by: User | None, channel: str, compound_id, qr_code,
           building_id) -> tuple[Compound | None, QRPoint | None, Building | None]:
    """The compound (given, or the QR point's), the QR point and the building."""
    qr_point = None
    compound = None
    if qr_code not in (None, ""):
        qr_point = (QRPoint.objects.select_related("compound", "building")
                    .filter(code=str(qr_code).strip().upper()).first())
        if qr_point is None:
            add_error(errors, "qr", _("This QR code is unknown."))
        elif not qr_point.active:
            add_error(errors, "qr", _("This QR code is no longer in use."))
            qr_point = None
        else:
            compound = qr_point.compound
            if compound_id not in (None, "") and as_id(compound_id) != compound.pk:
                add_error(errors, "compound",
                          _("The compound does not match the QR code's compound."))
    elif compound_id in (None, ""):
        add_error(errors, "compound", _("Choose the compound."))
    else:
        pk = as_id(compound_id)
        if pk is None:
            add_error(errors, "compound", _("No such compound."))
        elif channel in STAFF_CHANNELS and by is not None:
            try:
                compound = compound_get_visible(user=by, compound_id=pk)
            except Http404:
                add_error(errors, "compound", _("No such compound."))
        else:
            compound = one_row(Compound.objects.filter(pk=pk))
            if compound is None:
                add_error(errors, "compound", _("No such compound."))

    if compound is not None and qr_point is not None and channel in STAFF_CHANNELS:
        try:
            compound_get_visible(user=by, compound_id=compound.pk)
        except Http404:
            add_error(errors, "compound", _("No such compound."))
            compound = None

    building = None
    if building_id not in (None, ""):
        pk = as_id(building_id)
        if compound is not None:
            building = Building.objects.filter(pk=pk, compound=compound).first() if pk else None
            if building is None:
                add_error(errors, "building", _("This building is not in this compound."))
    elif qr_point is not None:
        building = qr_point.building
    return compound, qr_point, building


def _photos(errors: Errors, photos: Iterable) -> tuple[list[CheckedImage], bool]:
    """Every photo checked by content; (checked photos, whether one was too big)."""
    files = [f for f in (photos or ()) if f]
    if len(files) > MAX_PHOTOS:
        add_error(errors, "photos",
                  _("At most %(count)s photos.") % {"count": MAX_PHOTOS})
        return [], False
    checked, too_big = [], False
    for position, upload in enumerate(files, start=1):
        try:
            checked.append(checked_image(upload))
        except ValidationError as exc:
            too_big = too_big or any(e.code == "file_too_large" for e in exc.error_list)
            for message in exc.messages:
                add_error(errors, "photos", _("Photo %(number)s: %(error)s")
                          % {"number": position, "error": message})
    return checked, too_big


def _sms_text(tracking_code: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("We have received your report. Tracking code %(code)s; follow it at "
                 "%(url)s") % {"code": tracking_code, "url": tracking_url(tracking_code)}


def _existing(idempotency_key: str | None) -> Grievance | None:
    if not idempotency_key:
        return None
    return one_row(Grievance.objects.filter(idempotency_key=idempotency_key))


def _enqueue_outbox() -> None:
    """Schedule sending after commit; a broker that is down must not fail the intake
    (the Outbox row waits for the periodic sender)."""
    try:
        enqueue_outbox_on_commit()
    except Exception:  # the report is saved whatever the broker does
        logger.exception("could not schedule the outbox; it will be sent later")


def grievance_submit(*, by: User | None, channel: str, compound_id, category_code: str,
                     description: str, building_id=None, unit: str = "", name: str = "",
                     phone: str = "", consent_contact: bool = False, photos=(),
                     idempotency_key: str | None = None, external_id: str = "",
                     received_at=None, qr_code: str | None = None,
                     idempotency_checked: bool = False) -> Grievance:
    """Take an issue in (see the module doc). The same `idempotency_key` again returns
    the first issue and writes nothing. Raises ValidationError with every bad field
    (keys: channel, compound, qr, category, description, building, unit, name, phone,
    photos, external_id, received_at, idempotency_key), or ApplicationError 413 when a
    photo is over the size limit (its `extra` carries the same field errors), or
    ApplicationError 403 when a staff channel has no staff account.

    Reads and checks come first; the writes are one transaction that starts with the
    issue's INSERT, so a tracking-code collision or a concurrent twin only restarts that
    transaction (no savepoint per submit). `idempotency_checked=True` says the caller
    has just looked the key up and found nothing (the public API does, before counting
    rate limits)."""
    idempotency_key = _text(idempotency_key) or None
    existing = None if idempotency_checked else _existing(idempotency_key)
    if existing is not None:
        return existing

    errors: Errors = {}
    if channel not in Channel.values:
        add_error(errors, "channel", _("Unknown channel."))
    elif channel in STAFF_CHANNELS:
        if by is None or not by.is_authenticated:
            raise ApplicationError(_("Recording an issue from this channel needs a staff "
                                     "account."), status_code=403)
    else:
        by = None  # residents have no account; nothing of a signed-in browser is kept

    compound, qr_point, building = _place(errors, by=by, channel=channel,
                                          compound_id=compound_id, qr_code=qr_code,
                                          building_id=building_id)

    code = _text(category_code)
    category = one_row(Category.objects.filter(code=code, active=True)) if code else None
    if not code:
        add_error(errors, "category", _("Choose what the problem is about."))
    elif category is None:
        add_error(errors, "category", _("Unknown category."))

    description = _text(description)
    if len(description) < DESCRIPTION_MIN:
        add_error(errors, "description",
                  _("Describe the problem in at least %(min)s characters.")
                  % {"min": DESCRIPTION_MIN})
    elif len(description) > DESCRIPTION_MAX:
        add_error(errors, "description",
                  _("At most %(max)s characters (now %(length)s).")
                  % {"max": DESCRIPTION_MAX, "length": len(description)})

    unit, name = _text(unit), _text(name)
    if len(unit) > UNIT_MAX:
        add_error(errors, "unit", _("At most %(max)s characters.") % {"max": UNIT_MAX})
    if len(name) > NAME_MAX:
        add_error(errors, "name", _("At most %(max)s characters.") % {"max": NAME_MAX})
    phone = normalize_phone(_text(phone))
    if phone and not PHONE_RE.fullmatch(phone):
        add_error(errors, "phone",
                  _("Give a mainland mobile number of 11 digits, e.g. 13800138000."))
    consent_contact = bool(consent_contact) and bool(phone)

    external_id = _text(external_id)
    if len(external_id) > EXTERNAL_ID_MAX:
        add_error(errors, "external_id",
                  _("At most %(max)s characters.") % {"max": EXTERNAL_ID_MAX})
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        add_error(errors, "idempotency_key",
                  _("At most %(max)s characters.") % {"max": IDEMPOTENCY_KEY_MAX})

    if received_at is None:
        received_at = timezone.now()
    elif not isinstance(received_at, datetime):
        add_error(errors, "received_at", _("Give a date and time."))
    elif timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)

    checked, too_big = _photos(errors, photos)
    if too_big:
        plain = {field: [str(m) for m in messages] for field, messages in errors.items()}
        raise ApplicationError(plain["photos"][0], status_code=413, extra=plain)
    if errors:
        raise ValidationError(errors)

    priority = Priority.URGENT if category.urgent_by_default else Priority.NORMAL
    grievance = Grievance(
        compound=compound, building=building, unit=unit, qr_point=qr_point,
        category=category, description=description, reporter_name=name,
        reporter_phone=phone, consent_contact=consent_contact, channel=channel,
        external_id=external_id, idempotency_key=idempotency_key,
        status=Status.RECEIVED, level=Level.COMPOUND, priority=priority,
        # The office's clock starts when the issue reaches it: an issue recorded later
        # (a visit's notes, a hotline export) is not overdue on arrival.
        due_at=deadline_for(level=Level.COMPOUND, priority=priority,
                            start=max(received_at, timezone.now())),
        received_at=received_at,
        created_by=by,
    )
    try:
        # The foreign keys were just read from the database: no need to look them up again.
        grievance.full_clean(exclude=["compound", "building", "qr_point", "category",
                                      "created_by", "tracking_code"],
                             validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(_service_keys(exc)) from exc

    sms = phone and consent_contact and channel in SMS_CHANNELS
    for _attempt in range(_CODE_ATTEMPTS):
        grievance.tracking_code = new_tracking_code()
        try:
            with transaction.atomic():
                grievance.save(force_insert=True)
                _write_the_rest(grievance, by=by, channel=channel, at=received_at,
                                photos=checked, sms=sms)
        except IntegrityError as exc:
            grievance.pk = None
            grievance._state.adding = True
            winner = _existing(grievance.idempotency_key)
            if winner is not None:  # a twin with the same key committed first
                return winner
            if grievance.external_id and Grievance.objects.filter(
                channel=grievance.channel, external_id=grievance.external_id
            ).exists():
                raise ValidationError({"external_id": [
                    _("An issue with this external id was already imported.")]}) from exc
            if not Grievance.objects.filter(tracking_code=grievance.tracking_code).exists():
                raise
            continue  # the rare tracking-code collision: another code
        if sms:
            _enqueue_outbox()
        return grievance
    raise ApplicationError(_("Could not give the issue a tracking code; try again."),
                           status_code=503)


def _write_the_rest(grievance: Grievance, *, by, channel: str, at, photos, sms: bool) -> None:
    """The SUBMITTED event, the photos and the resident's SMS, beside the new issue."""
    GrievanceEvent.objects.create(
        grievance=grievance, kind=EventKind.SUBMITTED, to_status=Status.RECEIVED,
        to_level=Level.COMPOUND, by=by, at=at, note=channel,
    )
    for picture in photos:
        photo = GrievancePhoto(grievance=grievance)
        photo.image.save(picture.name, picture, save=False)
        photo.save()
    if sms:
        Outbox.objects.create(
            channel="sms", to=grievance.reporter_phone,
            text=_sms_text(grievance.tracking_code),
            dedupe_key=f"tracking:{grievance.tracking_code}", grievance=grievance,
        )


_MODEL_TO_FORM = {"reporter_name": "name", "reporter_phone": "phone", "qr_point": "qr"}


def _service_keys(exc: ValidationError) -> dict:
    return {_MODEL_TO_FORM.get(field, field): messages
            for field, messages in exc.message_dict.items()}
