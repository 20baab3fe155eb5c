"""Small helpers every staff page uses to show a service's refusal where it belongs."""

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from compounds.errors import ApplicationError


def form_add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: each message on its field when the
    form has that field, on the form as a whole otherwise. Nothing the user typed is lost:
    the view re-renders the bound form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        for error in errors:
            form.add_error(target, error)


def message_application_error(request, exc: ApplicationError) -> None:
    messages.error(request, exc.message)
