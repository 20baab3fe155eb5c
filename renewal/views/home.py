from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from compounds.selectors import area_summary, subdistrict_breakdown


@login_required
def home(request):
    context = {
        "summary": area_summary(user=request.user),
        "subdistricts": subdistrict_breakdown(user=request.user),
    }
    return render(request, "desk/home.html", context)
