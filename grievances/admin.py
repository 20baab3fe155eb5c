"""Admin of residents' issues. The catalogue (categories, deadlines, QR points, reply
templates) is edited here; issues move only through grievances.services.handling (the
state machine and its history), so their workflow fields and the history are read-only.
Reporters' contact details appear masked: unmasked views go through
grievances.privacy.reveal_contact, which audits them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from compounds.privacy import mask_name, mask_phone
from grievances.models import (
    Category,
    ContactView,
    DeadlineRule,
    Grievance,
    GrievanceEvent,
    GrievancePhoto,
    Open311Key,
    Outbox,
    QRPoint,
    Reply,
    ReplyTemplate,
)


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort", "urgent_by_default", "active"]
    list_editable = ["sort", "urgent_by_default", "active"]
    ordering = ["sort", "id"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what the API, Open311 and imports name: stable once created.
        return ["code"] if obj is not None else []


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["level", "priority", "hours"]
    list_editable = ["hours"]
    list_filter = ["priority", "level"]


@admin.register(QRPoint)
class QRPointAdmin(admin.ModelAdmin):
    list_display = ["code", "compound", "building", "spot", "active", "created_at"]
    list_filter = ["active"]
    list_select_related = ["compound", "building"]
    search_fields = ["code", "compound__name", "spot"]
    raw_id_fields = ["compound", "building"]

    def get_readonly_fields(self, request, obj=None):
        # Printed on posters: a reprint keeps the code.
        return ["code"] if obj is not None else []


class EventInline(ReadOnly, admin.TabularInline):
    model = GrievanceEvent
    extra = 0
    fields = ["at", "kind", "from_status", "to_status", "from_level", "to_level", "by", "note"]
    readonly_fields = fields


class ReplyInline(ReadOnly, admin.TabularInline):
    model = Reply
    extra = 0
    fields = ["at", "public", "by", "text"]
    readonly_fields = fields


class PhotoInline(ReadOnly, admin.TabularInline):
    model = GrievancePhoto
    extra = 0
    fields = ["image", "width", "height", "created_at"]
    readonly_fields = fields


WORKFLOW_FIELDS = [
    "tracking_code", "compound", "channel", "external_id", "status", "level", "priority",
    "party", "party_name", "assignee", "due_at", "merged_into", "received_at",
    "resolved_at", "closed_at", "rating", "rating_comment", "rated_at", "created_by",
    "masked_name", "masked_phone", "consent_contact",
]


@admin.register(Grievance)
class GrievanceAdmin(admin.ModelAdmin):
    list_display = ["tracking_code", "compound", "category", "status", "level", "priority",
                    "due_at", "masked_phone", "received_at"]
    list_filter = ["status", "level", "priority", "channel", "category"]
    list_select_related = ["compound", "category"]
    search_fields = ["tracking_code", "external_id", "compound__name"]
    date_hierarchy = "received_at"
    raw_id_fields = ["building", "qr_point"]
    exclude = ["reporter_name", "reporter_phone"]
    readonly_fields = WORKFLOW_FIELDS
    inlines = [EventInline, ReplyInline, PhotoInline]

    def has_add_permission(self, request):
        return False  # issues come in through grievances.services.intake

    @admin.display(description=_("reporter (masked)"))
    def masked_name(self, obj):
        return mask_name(obj.reporter_name)

    @admin.display(description=_("phone (masked)"))
    def masked_phone(self, obj):
        return mask_phone(obj.reporter_phone)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "active"]
    list_editable = ["active"]
    list_filter = ["active", "category"]
    search_fields = ["title", "text"]


@admin.register(Outbox)
class OutboxAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["dedupe_key", "channel", "masked_to", "created_at", "sent_at", "attempts",
                    "last_error"]
    list_filter = ["channel", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedupe_key"]
    exclude = ["to"]
    readonly_fields = ["masked_to"]

    @admin.display(description=_("recipient (masked)"))
    def masked_to(self, obj):
        return mask_phone(obj.to) if obj.channel == "sms" else obj.to


@admin.register(ContactView)
class ContactViewAdmin(ReadOnly, admin.ModelAdmin):
    """The PIPL audit log: who saw a reporter's unmasked contact details."""

    list_display = ["at", "user", "grievance", "where"]
    list_select_related = ["user", "grievance"]
    search_fields = ["user__username", "grievance__tracking_code"]
    date_hierarchy = "at"


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """Keys are made by `manage.py open311_key --name NAME` (printed once); here they are
    renamed or switched off. Only the hash is stored."""

    list_display = ["name", "active", "created_at"]
    list_filter = ["active"]
    fields = ["name", "active", "key_hash", "created_at"]
    readonly_fields = ["key_hash", "created_at"]

    def has_add_permission(self, request):
        return False
