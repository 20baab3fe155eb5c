"""Uploaded files, served only to those allowed to see what they belong to.

Every stored file lives under a prefix that names its owner model; the resolver for
that prefix answers whether this user may see it, through the area gate. Unknown
prefixes and files nobody owns answer 404, like files outside the user's area.
"""

import mimetypes
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from compounds.models import User
from compounds.selectors import area_q
from consultation.models import Ballot, BallotEvent
from grievances.models import GrievancePhoto
from renewal.models import ProgressPhoto


def _progress_photo(user: User, name: str) -> bool:
    return ProgressPhoto.objects.filter(
        area_q(user, compound_path="report__work_item__project__compound__"), image=name
    ).exists()


def _ballot_sheet(user: User, name: str) -> bool:
    # A revote keeps the earlier sheet on its event: either may own the file.
    gate = area_q(user, compound_path="topic__compound__")
    return (Ballot.objects.filter(gate, sheet_photo=name).exists()
            or BallotEvent.objects.filter(gate, sheet_photo=name).exists())


def _grievance_photo(user: User, name: str) -> bool:
    return GrievancePhoto.objects.filter(
        area_q(user, compound_path="grievance__compound__"), image=name
    ).exists()


RESOLVERS: dict[str, Callable[[User, str], bool]] = {
    "progress": _progress_photo,
    "ballots": _ballot_sheet,
    "grievances": _grievance_photo,
}


@require_GET
@login_required
def protected_media(request, path: str):
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise Http404("no such file")
    resolver = RESOLVERS.get(path.split("/", 1)[0])
    if resolver is None or not resolver(request.user, path):
        raise Http404("no such file")
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
