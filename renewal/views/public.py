from django.shortcuts import render


def resident_welcome(request):
    """The resident landing page, in the phone layout; QR posters lead deeper."""
    return render(request, "resident/welcome.html")
