"""Where each app's API viewsets are listed. A module exposes
`routes = [(prefix, viewset, basename), ...]`; the router registers them all."""

from compounds.api import imports as compounds_imports
from compounds.api import views as compounds_api
from consultation.api import codes as consultation_codes
from consultation.api import grading as consultation_grading
from consultation.api import ideas as consultation_ideas
from consultation.api import meetings as consultation_meetings
from consultation.api import topics as consultation_topics
from consultation.api import visits as consultation_visits
from grievances.api import public as grievances_public
from grievances.api import staff as grievances_staff
from renewal.api import commitments, ideas, programme, quality, works

# URLs are tried in this order. The residents' public API comes first: it takes the most
# requests (every report from a phone), and each route before it is a regex tried first.
MODULES = [grievances_public, compounds_api, compounds_imports, programme, works, quality,
           commitments, consultation_topics, consultation_codes, consultation_meetings,
           consultation_ideas, consultation_visits, consultation_grading, grievances_staff,
           ideas]
