"""Admin for online voting: household codes, read only. Only each code's keyed hash is
stored; the plaintext was printed once and exists nowhere here. Codes are issued from
the topic's codes page (consultation.services.codes.codes_issue)."""

from django.contrib import admin

from consultation.admin import ReadOnly
from consultation.models.codes import HouseholdCode


@admin.register(HouseholdCode)
class HouseholdCodeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["topic", "dwelling", "status", "issued_by", "issued_at", "used_at",
                    "revoked_at"]
    list_filter = [("used_at", admin.EmptyFieldListFilter),
                   ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["topic", "dwelling__building__compound", "issued_by"]
    search_fields = ["topic__title", "topic__compound__name"]
    raw_id_fields = ["topic", "dwelling", "issued_by"]
    fields = ["topic", "dwelling", "code_hash", "issued_by", "issued_at", "used_at",
              "revoked_at"]
    readonly_fields = fields
