"""Grievance pages: staff pages (mounted at /grievances/, namespace `grievances`), the
residents' pages (QR landing, form, tracking; namespace `public-issues`) and Open311
GeoReport v2 (at /open311/v2/, namespace `open311`)."""

from grievances.views import open311, public, qr, staff

_modules = (staff, qr, public, open311)

staff_urlpatterns = [p for m in _modules for p in m.staff_urlpatterns]
public_urlpatterns = [p for m in _modules for p in m.public_urlpatterns]
open311_urlpatterns = [p for m in _modules for p in m.open311_urlpatterns]
