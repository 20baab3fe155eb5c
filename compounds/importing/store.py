"""Uploaded files kept between the preview and the confirm, for every import's pages
(`compounds.views.imports.ImportPages`: the registry's and the hotline's).

A file lives at MEDIA_ROOT/imports/<token>.xlsx (a .csv too: the readers go by the
content, not the name), the token 32 random hex digits; the pages keep the tokens a
user uploaded in that user's session, so nobody else can preview or apply it. Files are
deleted after the import, on discard, and when older than a day.
"""

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import IO

from django.conf import settings

DIRECTORY = "imports"
MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _directory() -> Path:
    return Path(settings.MEDIA_ROOT) / DIRECTORY


def path_for(token: str) -> Path | None:
    """The stored file of `token`, or None when the token is malformed or the file gone."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    path = _directory() / f"{token}.xlsx"
    return path if path.is_file() else None


def save(fileobj: IO[bytes]) -> str:
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    sweep()
    token = secrets.token_hex(16)
    fileobj.seek(0)
    with open(directory / f"{token}.xlsx", "xb") as target:
        shutil.copyfileobj(fileobj, target)
    return token


def delete(token: str) -> None:
    path = path_for(token)
    if path is not None:
        path.unlink(missing_ok=True)


def sweep(*, max_age: int = MAX_AGE_SECONDS) -> int:
    """Delete files left behind by previews nobody confirmed or discarded."""
    directory = _directory()
    if not directory.is_dir():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    for path in directory.glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
