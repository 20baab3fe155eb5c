"""Writes of online voting with household codes: issue (and reissue) the printed codes,
check a code, and cast the vote a code allows (once).

Wrong codes are counted per client address (compounds.ratelimit: REMOTE_ADDR, or the
address TRUSTED_PROXY_HOPS proxies away) in the cache; past the limit every attempt
from that address is refused (429) until the window ends.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Dwelling, User
from compounds.ratelimit import attempts, record_attempt
from compounds.validation import Errors, add_error, as_id
from consultation.models import Ballot, Choice, Method
from consultation.models.codes import (
    HouseholdCode,
    PrintedCode,
    code_format,
    code_generate,
    code_hash,
    code_normalize,
    code_well_formed,
)
from consultation.selectors import eligible_dwellings, topics_visible_to
from consultation.services.rows import locked_or_404
from consultation.services.topics import ballot_record, voting_open_check

WRONG_CODE_LIMIT = 10
WRONG_CODE_WINDOW = 10 * 60  # seconds
_LIMIT_SCOPE = "consultation-wrong-code"


@dataclass(frozen=True)
class IssuedCode:
    """A code as printed: shown once on the slips page, never stored in plain."""

    dwelling: Dwelling
    code: str

    @property
    def printed(self) -> str:
        return code_format(self.code)


# --- the brute-force limit ---------------------------------------------------------------


def wrong_code_check(client: str) -> None:
    """Refuse (429) a client (compounds.ratelimit.client_address) that has typed too
    many wrong codes lately."""
    if attempts(_LIMIT_SCOPE, client, window=WRONG_CODE_WINDOW) >= WRONG_CODE_LIMIT:
        raise ApplicationError(
            _("Too many wrong voting codes were tried from this network. Please wait "
              "%(minutes)s minutes and try again, or ask your community office.")
            % {"minutes": WRONG_CODE_WINDOW // 60},
            status_code=429,
        )


def wrong_code_count(client: str) -> None:
    """Count one wrong code against the client."""
    record_attempt(_LIMIT_SCOPE, client, window=WRONG_CODE_WINDOW)


# --- guards ----------------------------------------------------------------------------


# --- issuing ---------------------------------------------------------------------------


def fresh_codes(model: type[PrintedCode], n: int) -> list[tuple[str, str]]:
    """n new (code, hash) pairs, none of them already a `model` code (one query a try)."""
    pairs: dict[str, str] = {}
    while len(pairs) < n:
        while len(pairs) < n:
            code = code_generate()
            pairs[code_hash(code)] = code
        taken = set(model.objects.filter(code_hash__in=list(pairs))
                    .values_list("code_hash", flat=True))
        for digest in taken:
            del pairs[digest]
    return [(code, digest) for digest, code in pairs.items()]


def printed_codes_issue(model: type[PrintedCode], *, by: User, dwellings: list[Dwelling],
                        **parent) -> list[IssuedCode]:
    """A new `model` code of `parent` (topic=… or round=…) for each of `dwellings`,
    revoking the live code each had, in the caller's transaction. The plaintext codes
    are returned once, to be printed; only their hashes are kept."""
    now = timezone.now()
    model.objects.filter(
        **parent, dwelling__in=dwellings, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    rows, issued = [], []
    for dwelling, (code, digest) in zip(dwellings, fresh_codes(model, len(dwellings)),
                                        strict=True):
        rows.append(model(**parent, dwelling=dwelling, code_hash=digest, issued_by=by,
                          issued_at=now))
        issued.append(IssuedCode(dwelling=dwelling, code=code))
    model.objects.bulk_create(rows, batch_size=500)
    return issued


@transaction.atomic
def codes_issue(*, by: User, topic_id: int, dwelling_ids: Iterable[int] | None = None
                ) -> list[IssuedCode]:
    """Issue a new code to every dwelling in the topic's scope (or to the dwellings
    given, each of which must be in scope), revoking the code each had. The plaintext
    codes are returned once, to be printed; only their hashes are kept."""
    # The topic's row is locked so that two staff issuing at once queue up instead of
    # both inserting a live code for one dwelling.
    topic = locked_or_404(topics_visible_to(by), topic_id, what="topic")
    voting_open_check(topic)

    in_scope = eligible_dwellings(topic).select_related("building")
    if dwelling_ids is None:
        dwellings = list(in_scope)
    else:
        dwelling_ids = list(dwelling_ids)
        wanted = {as_id(i) for i in dwelling_ids}
        dwellings = list(in_scope.filter(pk__in=wanted - {None}))
        found = {d.pk for d in dwellings}
        outside = sorted({str(i) for i in dwelling_ids if as_id(i) not in found},
                         key=lambda s: (len(s), s))
        errors: Errors = {}
        if outside:
            add_error(errors, "dwellings",
                      _("These dwellings are not in the topic's scope: %(ids)s.")
                      % {"ids": ", ".join(outside)})
        elif not dwellings:
            add_error(errors, "dwellings", _("Choose at least one dwelling."))
        if errors:
            raise ValidationError(errors)

    return printed_codes_issue(HouseholdCode, by=by, dwellings=dwellings, topic=topic)


# --- voting ----------------------------------------------------------------------------


def _code_row(errors: Errors, *, code: str, lock: bool) -> HouseholdCode | None:
    """The live code row for what was typed, or an error on `code`."""
    normalized = code_normalize(code)
    if not normalized:
        add_error(errors, "code", _("Enter the voting code printed on your slip."))
        return None
    if not code_well_formed(normalized):
        add_error(errors, "code", _("A voting code has 10 letters and digits, like "
                                    "ABCD-EFGH-JK. Check it against your slip."))
        return None
    rows = HouseholdCode.objects.select_related("topic", "dwelling__building__compound")
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(code_hash=code_hash(normalized)).first()
    if row is None or row.revoked_at:
        add_error(errors, "code", _("This voting code is not valid. Check it against your "
                                    "slip; if a new slip was issued, use the new one."))
        return None
    if row.used_at:
        add_error(errors, "code", _("This voting code has already been used: each code "
                                    "votes once. To change the vote, ask your community "
                                    "office."))
        return None
    return row


def code_check(*, code: str, client: str = "") -> HouseholdCode:
    """The live code typed, with its topic and dwelling, before the resident chooses;
    a wrong code is a field error on `code` and counts against the client."""
    wrong_code_check(client)
    errors: Errors = {}
    row = _code_row(errors, code=code, lock=False)
    if errors:
        wrong_code_count(client)
        raise ValidationError(errors)
    voting_open_check(row.topic)
    return row


@transaction.atomic
def vote_with_code(*, code: str, choice: str, client: str = "") -> Ballot:
    """Cast the vote a household code allows, once: the standing ballot of its dwelling
    is replaced (method online, recorded by nobody) and the code is used up."""
    wrong_code_check(client)
    errors: Errors = {}
    row = _code_row(errors, code=code, lock=True)
    if "code" in errors:
        wrong_code_count(client)
    if choice not in Choice.values:
        add_error(errors, "choice", _("Choose agree, disagree or abstain."))
    if errors:
        raise ValidationError(errors)
    topic = row.topic
    voting_open_check(topic)
    # Locked as ballot_cast locks it, so that two first votes of one dwelling queue up.
    dwelling = (eligible_dwellings(topic).select_for_update(of=("self",))
                .select_related("building__compound").filter(pk=row.dwelling_id).first())
    if dwelling is None:  # the registry changed after the slip was printed
        raise ValidationError({"code": [_("This voting code is not valid. Check it against "
                                          "your slip; if a new slip was issued, use the "
                                          "new one.")]})
    ballot = ballot_record(topic=topic, dwelling=dwelling, choice=choice,
                           method=Method.ONLINE, by=None)
    row.used_at = ballot.cast_at
    row.save(update_fields=["used_at"])
    ballot.topic, ballot.dwelling = topic, dwelling  # loaded with its building and compound
    return ballot
