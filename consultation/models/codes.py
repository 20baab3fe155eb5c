"""Household codes: how an owner without an account votes online.

A code is printed on a slip for one dwelling and one topic, votes once, and is stored
only as a keyed hash (HMAC-SHA256 with SECRET_KEY): the plaintext exists on the printed
slip and nowhere else. Reprinting means reissuing, which revokes the earlier slip.
"""

import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.models import Dwelling
from consultation.models.topics import Topic

# No 0/O, 1/I/L: nothing on a slip can be read two ways, so input maps nothing.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_GROUP = 4
_SEPARATORS = str.maketrans("", "", " -_.·—–\u3000\t\r\n")
_HASH_PURPOSE = b"consultation.household-code:"


def code_generate() -> str:
    """A fresh random code, 10 characters of the unambiguous alphabet (~49 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(raw: str | None) -> str:
    """What the resident typed, as the code: full-width forms folded (a Chinese input
    method types Ａ), separators and spaces dropped, upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return text.translate(_SEPARATORS).strip().upper()


def code_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def code_format(code: str) -> str:
    """ABCDEFGHJK → ABCD-EFGH-JK, as it is printed."""
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def code_hash(code: str) -> str:
    """The keyed hash kept in the database (hex). Changing SECRET_KEY voids every code."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, _HASH_PURPOSE + code.encode(), hashlib.sha256).hexdigest()


class PrintedCode(models.Model):
    """A printed one-time slip of one dwelling, kept only as its keyed hash (`code_hash`).
    Live until it is used or revoked (reprinting revokes), never both. Abstract: a
    HouseholdCode votes on a topic, a GradingCode grades a round; each declares its
    parent and `printed_code_constraints` for it."""

    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="+", verbose_name=_("dwelling")
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        return "live"


def printed_code_constraints(*, parent: str, prefix: str) -> list[models.BaseConstraint]:
    """What the database keeps true of a printed code of `parent` (the FK's name): at
    most one live code per (parent, dwelling), and used or revoked, never both."""
    return [
        models.UniqueConstraint(
            fields=[parent, "dwelling"],
            condition=Q(used_at__isnull=True, revoked_at__isnull=True),
            name=f"{prefix}_one_live_per_dwelling",
        ),
        models.CheckConstraint(
            name=f"{prefix}_used_or_revoked_not_both",
            condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
        ),
    ]


class HouseholdCode(PrintedCode):
    """One printed slip: lets the owner of `dwelling` vote once on `topic` online."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="household_codes",
        verbose_name=_("topic"),
    )

    class Meta:
        verbose_name = _("household code")
        verbose_name_plural = _("household codes")
        ordering = ["topic", "dwelling", "-issued_at", "-id"]
        constraints = printed_code_constraints(parent="topic", prefix="household_code")

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.dwelling_id}: {self.status}"
