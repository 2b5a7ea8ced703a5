"""GET /api/v1/docs: the API reference page, checked against /api/v1/openapi.json itself (so it cannot go stale):
every operation listed, request-body fields shown with $refs resolved, nothing loaded from elsewhere, no script,
and axe-core finds nothing in Chromium (phone and desktop, both languages)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from registry.api.docs import build_reference
from tests import factories as f
from tests.web.test_accessibility import AXE_TAGS, axe_script, describe  # noqa: F401  (fixture used by name)
from tests.web.test_browser import SHOTS, VIEWPORTS, browser, server  # noqa: F401  (fixtures used by name)

DOCS = "/api/v1/docs"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
SCHEMAS = "#/components/schemas/"


class Page(HTMLParser):
    """What a test needs from the page: ids, headings, links and sources, and each table row under its operation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.styled: list[str] = []
        self.headings: dict[str, str] = {}  # id of an h3 → its text
        self.rows: dict[str, list[str]] = {}  # id of an h3 → the row headers of every table under it
        self._h3: str | None = None
        self._text: list[str] | None = None
        self._row_header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if "style" in found:
            self.styled.append(tag)
        for name in ("href", "src", "action", "srcset", "poster", "data", "formaction"):
            if found.get(name):
                self.urls.append((tag, name, found[name] or ""))
        if tag == "h3" and found.get("id"):
            self._h3 = found["id"]
            self._text = []
            self.rows[self._h3] = []
        elif tag == "th" and found.get("scope") == "row" and self._h3:
            self._row_header = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._row_header is not None:
            self._row_header.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3" and self._text is not None and self._h3:
            self.headings[self._h3] = " ".join("".join(self._text).split())
            self._text = None
        elif tag == "th" and self._row_header is not None and self._h3:
            self.rows[self._h3].append("".join(self._row_header).strip())
            self._row_header = None
        elif tag == "h2":
            self._h3 = None  # rows after an h2 belong to no operation until the next h3

    def anchor_of(self, heading: str) -> str:
        [anchor] = [a for a, text in self.headings.items() if text == heading]
        return anchor


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def docs(client) -> Page:
    response = client.get(DOCS)
    assert response.status_code == 200
    return parse(response.get_data(as_text=True))


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def schema(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].removeprefix(SCHEMAS)]
    return node


def test_the_page_is_html_cached_for_five_minutes_under_the_site_policy(client):
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Language" in response.headers["Vary"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert 'href="/api/v1/openapi.json"' in html
    for topic in ("Authorization: Bearer skr_", "Idempotency-Key", "Idempotent-Replayed: true", "429", "per_page",
                  "Accept-Language", '"reason"', '"field"'):
        assert topic in html, topic


def test_a_signed_in_persons_copy_with_their_menu_is_not_for_shared_caches(client, session):
    actor = f.regulator(session)
    html = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    signed_in = client.post("/login", data={"csrf_token": csrf, "username": actor.label.removeprefix("user:"),
                                            "password": f.PASSWORD})
    assert signed_in.status_code == 302
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, max-age=300"


def test_every_operation_of_the_openapi_document_has_a_heading_and_an_entry_in_the_contents(spec, docs):
    expected = {f"{method.upper()} {path}" for method, path, _ in operations(spec)}
    assert expected, "the spec lists no operation"
    shown = {text for anchor, text in docs.headings.items() if not anchor.startswith("schema-")}
    assert shown == expected
    contents = {href for tag, name, href in docs.urls if tag == "a" and href.startswith("#")}
    for anchor, text in docs.headings.items():
        if text in expected:
            assert f"#{anchor}" in contents, f"{text} is not in the contents"


def test_the_verify_request_body_lists_its_fields(docs):
    rows = docs.rows[docs.anchor_of("POST /api/v1/verify")]
    assert {"number", "name", "id_number"} <= set(rows)


def test_request_bodies_resolve_refs_into_their_schemas_fields(spec, docs):
    """Every request body given by $ref shows the referenced schema's own fields (and one level of nesting)."""
    checked = 0
    for method, path, operation in operations(spec):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            body = media.get("schema", {})
            if "$ref" not in body:
                continue
            rows = docs.rows[docs.anchor_of(f"{method.upper()} {path}")]
            fields = schema(spec, body).get("properties", {})
            assert set(fields) <= set(rows), f"{method.upper()} {path}"
            for name, prop in fields.items():
                inner = schema(spec, prop.get("items", prop)) if "$ref" in prop.get("items", prop) else {}
                for sub in inner.get("properties", {}):
                    assert f"{name}[].{sub}" in rows or f"{name}.{sub}" in rows, f"{path}: {name} → {sub}"
            checked += 1
    assert checked, "no request body by $ref in the spec"


def test_every_schema_has_a_section_and_every_in_page_link_lands(spec, docs):
    for name, node in spec["components"]["schemas"].items():
        anchor = docs.anchor_of(name)
        assert set(node.get("properties", {})) <= set(docs.rows[anchor]), name
    for _tag, _name, href in docs.urls:
        if href.startswith("#"):
            assert href[1:] in docs.ids, f"link to a missing anchor: {href}"


def test_the_page_loads_nothing_from_elsewhere_and_has_no_script_or_inline_style(client):
    response = client.get(DOCS, base_url="https://registry.example")
    page = parse(response.get_data(as_text=True))
    assert "script" not in page.tags
    assert "style" not in page.tags
    assert page.styled == []
    assert page.urls, "the parser found no link at all"
    for tag, name, url in page.urls:
        parts = urlsplit(url)
        same_origin = (parts.scheme, parts.netloc) in (("", ""), ("https", "registry.example"))
        assert same_origin and not url.startswith("//"), f"<{tag} {name}={url!r}> leaves the site"


def test_the_language_follows_the_reader(client):
    assert '<html lang="zh-CN">' in client.get(DOCS).get_data(as_text=True)  # Chinese unless asked otherwise
    english = client.get(DOCS, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    chosen = client.get(f"{DOCS}?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in chosen.get_data(as_text=True)
    assert 'href="/api/v1/docs?lang=zh"' in chosen.get_data(as_text=True)  # the switch leads back to this page


def test_the_view_model_is_built_once_per_app(app, client, monkeypatch):
    import registry.api.docs as docs_module

    client.get(DOCS)
    built = []
    monkeypatch.setattr(docs_module, "build_reference", lambda *a, **k: built.append(1))
    assert client.get(f"{DOCS}?lang=en").status_code == 200
    assert built == []


ODD = {
    "openapi": "3.1.0", "info": {"title": "T", "version": "9"}, "security": [{"bearer": []}],
    "tags": [{"name": "things", "description": "Things"}],
    "paths": {
        "/api/v1/things": {
            "parameters": [{"$ref": "#/components/parameters/Page"}],
            "get": {"tags": ["things"], "security": [], "summary": "List `things`.",
                    "responses": {"default": {"$ref": "#/components/responses/Oops"},
                                  "200": {"description": "OK", "content": {"application/json": {
                                      "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                                      "examples": {"one": {"summary": "One thing", "value": [{"id": 1}]}}}}}}},
            "post": {"tags": ["things"], "deprecated": True,
                     "requestBody": {"content": {"application/json": {"schema": {
                         "type": "object", "required": ["thing"],
                         "properties": {"thing": {"$ref": "#/components/schemas/Thing"}}}}}},
                     "responses": {"201": {"description": "Made"}}},
        },
        "/api/v1/other": {"delete": {"security": [{}, {"basic": []}], "responses": {}}},
        "/api/v1/verify": {"post": {"responses": {}}},
    },
    "components": {
        "parameters": {"Page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}},
        "responses": {"Oops": {"description": "An error", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Thing"}}}}},
        "schemas": {"Thing": {"type": "object", "properties": {
            "id": {"type": "integer"},
            "owner": {"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]},
            "kind": {"type": ["string", "null"], "enum": ["a", "b", None]},
            "when": {"type": "string", "format": "date-time"}}},
            "Owner": {"type": "object", "properties": {"name": {"type": "string", "description": "名称"}}}},
    },
}


def test_security_comes_from_the_spec_and_odd_shapes_are_read():
    spec = ODD
    ref = build_reference(spec, {("post", "/api/v1/things")})
    [group, other] = ref.groups
    assert (group.name, other.name) == ("things", "")
    listing, create = group.operations
    assert (listing.auth, create.auth) == (False, True)  # `security: []` opens one operation of a guarded spec
    assert create.schemes == ("bearer",) and create.idempotent and create.deprecated and not listing.idempotent
    anonymous_too, verify = other.operations
    assert (anonymous_too.auth, anonymous_too.schemes) == (False, ("basic",))
    assert verify.auth  # the global requirement holds; the fallback list is only for a spec without any
    assert [p.name for p in listing.parameters] == ["page"]
    assert "schema-Thing" in listing.answers[0].type and "array&lt;" in listing.answers[0].type
    assert [a.status for a in listing.answers] == ["200", "default"]
    assert listing.answers[1].description.striptags() == "An error"
    assert listing.answers[0].examples[0].label == "One thing"
    assert "<code>things</code>" in listing.summary
    assert create.body is not None
    assert [(f.parent, f.name) for f in create.body.fields] == [
        ("", "thing"), ("thing.", "id"), ("thing.", "owner"), ("thing.", "kind"), ("thing.", "when")]
    thing = next(s for s in ref.schemas if s.name == "Thing")
    kinds = {f.name: f.type.striptags() for f in thing.fields}
    assert kinds == {"id": "integer", "owner": "Owner | null", "kind": "string | null", "when": "string (date-time)"}
    assert 'lang="zh-CN"' in next(s for s in ref.schemas if s.name == "Owner").fields[0].description


def test_the_template_shows_every_shape(client, monkeypatch):
    import registry.api.docs as docs_module

    monkeypatch.setattr(docs_module, "reference", lambda: build_reference(ODD, {("post", "/api/v1/things")}))
    response = client.get(DOCS)
    assert response.status_code == 200
    page = parse(response.get_data(as_text=True))
    assert set(page.headings.values()) == {"GET /api/v1/things", "POST /api/v1/things", "DELETE /api/v1/other",
                                           "POST /api/v1/verify", "Thing", "Owner"}
    rows = page.rows[page.anchor_of("POST /api/v1/things")]  # the path's parameter, the body, the response
    assert rows == ["page", "thing", "thing.id", "thing.owner", "thing.kind", "thing.when", "201"]
    html = response.get_data(as_text=True)
    assert "One thing" in html and "已弃用" in html and "Idempotency-Key" in html
    for _tag, _name, href in page.urls:
        if href.startswith("#"):
            assert href[1:] in page.ids, href


def test_without_security_in_the_spec_only_verify_standards_and_the_index_are_public():
    spec = {"paths": {path: {"get": {"responses": {}}, "post": {"responses": {}}} for path in (
        "/api/v1/", "/api/v1/verify", "/api/v1/standards", "/api/v1/standards/{code}", "/api/v1/certificates")}}
    ref = build_reference(spec)
    public = {f"{op.method} {op.path}" for group in ref.groups for op in group.operations if not op.auth}
    assert public == {"GET /api/v1/", "GET /api/v1/verify", "POST /api/v1/verify", "GET /api/v1/standards",
                      "POST /api/v1/standards", "GET /api/v1/standards/{code}", "POST /api/v1/standards/{code}"}


# --- In a real browser -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_in_chromium_under_the_sites_csp_every_request_stays_on_the_site(browser, server):  # noqa: F811
    _, base = server
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    requested: list[str] = []
    refused: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    response = page.goto(f"{base}{DOCS}")
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    assert requested and all(url.startswith(base + "/") for url in requested), requested
    assert refused == []
    assert page.locator("script").count() == 0
    context.close()


@pytest.mark.slow
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_axe_finds_no_violations(browser, server, axe_script, viewport, language):  # noqa: F811
    _, base = server
    # The page's CSP (script-src 'self') refuses the <script> axe is added with, so this context bypasses it.
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,
                                  locale="zh-CN" if language == "zh" else "en-US")
    page = context.new_page()
    page.goto(f"{base}{DOCS}?lang={language}")
    assert page.locator("h1").count() == 1
    assert page.locator("html").get_attribute("lang") == ("en" if language == "en" else "zh-CN")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS) / f"api-docs-{viewport}-{language}.png"))  # the first screen only
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        AXE_TAGS,
    )
    context.close()
    assert not violations, describe(violations)
