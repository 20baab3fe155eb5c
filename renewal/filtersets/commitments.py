"""FilterSet of the public commitments list, shared by the staff page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from renewal.models import PublicCommitment


class CommitmentFilterSet(django_filters.FilterSet):
    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"))

    class Meta:
        model = PublicCommitment
        fields = ["compound", "year"]
