"""Admin of door-to-door visits and satisfaction grading (imported by consultation/admin.py).
Visits are written through consultation.services.visits; gradings come from residents:
the admin shows them and never shows or edits a phone hash or a code hash."""

from django.contrib import admin

from consultation.admin import ReadOnly
from consultation.models.grading import GradingCode, GradingResponse, GradingRound
from consultation.models.visits import Visit


@admin.register(Visit)
class VisitAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["visited_at", "compound", "building", "unit", "dwelling", "method",
                    "attitude", "visited_by"]
    list_filter = ["method", "attitude"]
    list_select_related = ["compound", "building", "dwelling", "visited_by"]
    search_fields = ["compound__name", "opinions"]
    raw_id_fields = ["compound", "building", "dwelling", "topic", "visited_by", "ballot",
                     "idea", "grievance"]
    date_hierarchy = "visited_at"


@admin.register(GradingRound)
class GradingRoundAdmin(admin.ModelAdmin):
    list_display = ["title", "compound", "opens_on", "closes_on", "closed_at", "opened_by"]
    list_select_related = ["compound", "opened_by"]
    search_fields = ["title", "compound__name"]
    raw_id_fields = ["compound", "opened_by", "closed_by"]


@admin.register(GradingCode)
class GradingCodeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["round", "dwelling", "issued_at", "used_at", "revoked_at"]
    list_select_related = ["round", "dwelling"]
    exclude = ["code_hash"]
    raw_id_fields = ["round", "dwelling", "issued_by"]


@admin.register(GradingResponse)
class GradingResponseAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["round", "overall", "quality", "environment", "site_management",
                    "submitted_at"]
    list_filter = ["overall"]
    list_select_related = ["round"]
    exclude = ["phone_hash"]
    raw_id_fields = ["round", "code"]
