"""Where each app's API viewsets are listed. A module exposes
`routes = [(prefix, viewset, basename), ...]`; the router registers them all."""

from compounds.api import imports as compounds_imports
from compounds.api import views as compounds_api
from consultation.api import views as consultation_api
from renewal.api import commitments, programme, quality, works

MODULES = [compounds_api, compounds_imports, programme, works, quality, commitments,
           consultation_api]
