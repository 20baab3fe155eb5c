"""The consultation pages: staff pages under /consultation/ (namespace `consultation`),
resident pages (no account) under /r/ (namespace `resident`)."""

from consultation.views import grading, ideas, meetings, topics, visits, voting

_modules = (topics, voting, meetings, ideas, visits, grading)

urlpatterns = [p for m in _modules for p in m.urlpatterns]
public_urlpatterns = [p for m in _modules for p in m.public_urlpatterns]
