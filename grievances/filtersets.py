"""The one FilterSet of the residents' issues, shared by the staff inbox, its export and
the staff API, so `?status=received&overdue=true` means the same everywhere. It only
narrows a queryset the area gate has already built (`grievances_visible_to`): a filter
naming another area's compound yields nothing.

Parameters:
  compound, subdistrict, community   ids
  status, level                      one or more values: `?status=a&status=b` or `a,b`
  open                               true: still to be acted on (OPEN_STATUSES); false: not
  category                           the category code
  priority, channel                  one value
  open, overdue, mine                true/false (also 1/0)
  overdue                            true: open and past `due_at`; false: the others
  mine                               true: assigned to the requesting user
  received_after, received_before    dates (YYYY-MM-DD), both inclusive, local days
  q                                  a tracking code (as typed: `abcd 2345` finds ABCD-2345)
                                     or words in the description
  sort                               due (default: earliest deadline first, none last),
                                     new (latest received first), old
"""

import datetime as dt

import django_filters
from django import forms
from django.db.models import F, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from compounds.filtersets import InCompoundFilterSet
from compounds.models import Role, User
from compounds.selectors import sees_whole_district
from grievances.models import OPEN_STATUSES, Channel, Grievance, Level, Priority, Status
from grievances.selectors import normalize_code

SORTS = {
    "due": (F("due_at").asc(nulls_last=True), "-received_at", "-id"),
    "new": ("-received_at", "-id"),
    "old": ("received_at", "id"),
}
SORT_CHOICES = [
    ("due", _("deadline first")),
    ("new", _("newest first")),
    ("old", _("oldest first")),
]


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Still open and past its deadline."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


class CommaSeparatedMultiple(forms.SelectMultiple):
    """Reads `?status=a&status=b` and `?status=a,b` alike (API clients send either)."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        if values is None:
            return None
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in value.split(",") if part.strip()]


class _MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CommaSeparatedMultiple)
        # Status and level are columns of the issue, not a to-many join: no row can come
        # twice, and django-filter's default SELECT DISTINCT over every column (with the
        # joined compound, category, ...) made PostgreSQL sort all matching rows before
        # LIMIT (0.2 s at 1,000,000 issues) instead of reading an index in order.
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class GrievanceFilterSet(InCompoundFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = _MultipleChoiceFilter(choices=Status.choices, label=_("status"))
    open = django_filters.BooleanFilter(method="filter_open", widget=BooleanWidget,
                                        label=_("still open"))
    category = django_filters.CharFilter(field_name="category__code", label=_("category"))
    level = _MultipleChoiceFilter(choices=Level.choices, label=_("handling level"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("priority"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("channel"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=BooleanWidget,
                                           label=_("overdue"))
    mine = django_filters.BooleanFilter(method="filter_mine", widget=BooleanWidget,
                                        label=_("assigned to me"))
    received_after = django_filters.DateFilter(method="filter_received_after",
                                               label=_("received on or after"))
    received_before = django_filters.DateFilter(method="filter_received_before",
                                                label=_("received on or before"))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort",
                                       empty_label=None, label=_("sort"))

    class Meta:
        model = Grievance
        fields = [
            "q", "compound", "subdistrict", "community", "status", "open", "category",
            "level", "priority", "channel", "overdue", "mine", "received_after",
            "received_before", "sort",
        ]

    @property
    def qs(self):
        # Sorted even when `sort` is absent (a filter method runs only for a value).
        queryset = super().qs
        if not self.is_bound or not self.form.is_valid() or not self.form.cleaned_data.get(
            "sort"
        ):
            queryset = queryset.order_by(*SORTS["due"])
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(tracking_code=normalize_code(value)) | Q(description__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        if value:
            return queryset.filter(assignee_id=user_id)
        return queryset.exclude(assignee_id=user_id) if user_id else queryset

    def filter_received_after(self, queryset, name, value):
        return queryset.filter(received_at__gte=_day_start(value))

    def filter_received_before(self, queryset, name, value):
        return queryset.filter(received_at__lt=_day_start(value + dt.timedelta(days=1)))

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["due"]))


# --- the inbox's defaults and its active filters as removable chips ---------------------

MULTI_KEYS = ("status", "level")
CHIP_KEYS = ("q", "open", "overdue", "mine", "status", "level", "category", "priority",
             "channel", "subdistrict", "community", "compound", "received_after",
             "received_before")


def default_levels(user: User) -> list[str]:
    """The levels a user handles first: 小事不出小区、大事不出社区、难事不出镇街."""
    if sees_whole_district(user):
        return [Level.DISTRICT]
    if user.role == Role.SUBDISTRICT:
        return [Level.SUBDISTRICT]
    if user.role == Role.COMMUNITY:
        return [Level.COMPOUND, Level.COMMUNITY]
    return []


def query_values(query: QueryDict, key: str) -> list[str]:
    """A multiple filter's values, repeated or comma-separated."""
    return [p.strip() for v in query.getlist(key) for p in v.split(",") if p.strip()]


def filter_chips(query: QueryDict, *, names: dict[str, dict]) -> list[dict]:
    """Each active filter as a removable chip: its label and the query without it."""
    yes_no = {
        "open": (gettext("Open issues"), gettext("Finished issues")),
        "overdue": (gettext("Overdue issues"), gettext("Not overdue")),
        "mine": (gettext("Assigned to me"), gettext("Not assigned to me")),
    }
    titles = {key: f.label for key, f in GrievanceFilterSet.base_filters.items()}
    chips = []
    for key in CHIP_KEYS:
        values = query_values(query, key) if key in MULTI_KEYS else [
            v for v in query.getlist(key) if v.strip()]
        for value in values:
            rest = query.copy()
            rest.setlist(key, [v for v in values if v != value] if key in MULTI_KEYS else [])
            rest["f"] = "1"
            if key in yes_no:
                label = yes_no[key][0 if value.lower() in ("true", "1") else 1]
            else:
                shown = names.get(key, {}).get(value, value)
                label = gettext("%(filter)s: %(value)s") % {"filter": titles[key], "value": shown}
            chips.append({"label": label, "url": f"?{rest.urlencode()}"})
    return chips
