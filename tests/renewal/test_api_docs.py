import re

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_api_root_lists_the_endpoints(client, district_user):
    client.force_login(district_user)
    body = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert {"subdistricts", "communities", "compounds"} <= set(body)


def test_schema_is_openapi_3_and_documents_token_auth(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/compounds/{id}/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_no_outside_assets(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the docs page should load its own assets"
    assert all(not u.startswith(("http://", "https://", "//")) for u in urls), urls
