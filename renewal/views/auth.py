from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from renewal.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "desk/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


def lockout(request, credentials=None, *args, **kwargs):
    """django-axes calls this once an account is locked after repeated failures."""
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    message = _(
        "Too many failed sign-in attempts. This account is locked for %(minutes)d minutes; "
        "try again later or ask the district office to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "desk/login.html", {"form": LoginForm(request), "lockout": message},
                  status=429)
