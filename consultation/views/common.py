"""Small helpers the consultation pages share (and renewal's idea adoption page): a
page of a filtered list, and a form handed to a service. Not a page module."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect

from compounds.errors import ApplicationError
from compounds.web import form_add_service_errors, message_application_error


def page_of(request, rows, size: int) -> Page:
    """The page `?page=` asks for (the last one past the end, the first one when bad)."""
    return Paginator(rows, size).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The list's filters as a query string, for the pager's links and "Clear"."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def form_to_service(request, form, call: Callable[[], Any], *,
                    success: str | Callable[[Any], str], then: str) -> HttpResponse | None:
    """Run `call` (a service, for a valid form). Done: the `success` message (or
    `success(result)`) and a redirect to `then`; refused (ApplicationError): its message
    and the same redirect; field errors: put on `form` and None, so that the caller
    re-renders the form with what the user typed."""
    try:
        result = call()
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return None
    except ApplicationError as exc:
        message_application_error(request, exc)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(then)
