"""Admin of the meetings and the golden ideas (imported by consultation/admin.py).
Histories are read-only: the services write them."""

from django.contrib import admin

from consultation.models.ideas import Idea, IdeaEvent
from consultation.models.meetings import Meeting, MeetingAttendance, MeetingEvent


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MeetingAttendanceInline(admin.TabularInline):
    model = MeetingAttendance
    extra = 0
    fields = ["role", "count"]


class MeetingEventInline(_ReadOnlyInline):
    model = MeetingEvent
    fields = ["at", "kind", "by", "note"]
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "compound", "type", "starts_at", "place", "minutes_recorded_at",
                    "cancelled_at"]
    list_filter = ["type"]
    list_select_related = ["compound"]
    search_fields = ["title", "compound__name", "place"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["compound", "topics", "invitees", "created_by"]
    readonly_fields = ["minutes_recorded_at", "cancelled_at", "created_by", "created_at"]
    inlines = [MeetingAttendanceInline, MeetingEventInline]


class IdeaEventInline(_ReadOnlyInline):
    model = IdeaEvent
    fields = ["at", "from_status", "to_status", "by", "note", "public_reason"]
    readonly_fields = fields


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    """The status moves through the pages and the API (they keep the history): here it
    is only shown."""

    list_display = ["__str__", "compound", "source", "status", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["compound"]
    search_fields = ["text", "compound__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["compound", "building", "created_by"]
    readonly_fields = ["status", "public_reason", "created_by", "created_at"]
    inlines = [IdeaEventInline]
