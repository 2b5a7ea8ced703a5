"""Shapes every area of the API shares: the one error answer, and paging (its query arguments and the page envelope).

OpenAPI components are named after the schema classes (less `Schema`), so every class name must be unique across the
API: `ErrorSchema` is the `Error` component, which is also flask-smorest's `default` error response
(`RegistryApi.ERROR_SCHEMA`).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

PER_PAGE = 50
MAX_PER_PAGE = 100


class ErrorSchema(Schema):
    """Every refusal of the API, whatever the area: `reason` is a stable slug for programs, `message` follows
    Accept-Language (zh by default, or en).

    Only documents the answer (registry.api builds it): domain refusals name the input in `field`; input validation
    (422) gives marshmallow's messages in `errors` and names the first offending input in `field`; an internal
    error (5xx) gives a `request_id` to quote.
    """

    code = fields.Integer(required=True, metadata={"description": "the HTTP status code", "example": 404})
    status = fields.String(required=True, metadata={"description": "the HTTP status phrase", "example": "Not Found"})
    message = fields.String(required=True, metadata={
        "description": "for people, in the reader's language (Accept-Language: zh, the default, or en)",
        "example": "未找到该认定批次。"})
    reason = fields.String(required=True, metadata={"description": "stable machine-readable slug",
                                                    "example": "batch-not-found"})
    field = fields.String(metadata={
        "description": "the input the error is about, when there is one: a body field (nested ones like "
                       "`candidates[2].id_number`), a query or path argument, or a header",
        "example": "batch_id"})
    errors = fields.Dict(
        metadata={"description": "422 from input validation only: marshmallow's messages by location (json, query, "
                                 "…) and field",
                  "example": {"json": {"candidates": {"1": {"id_number": ["Missing data for required field."]}}}}})
    request_id = fields.String(metadata={"description": "5xx only: quote it to the registry's operators, who find "
                                                        "the error logged under it", "example": "3f9c2a7e41b0"})


class PageArgsSchema(Schema):
    """Paging of a listing, in the query string; an area's filters subclass it."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "page number, from 1", "example": 1})
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"items per page, at most {MAX_PER_PAGE}", "example": PER_PAGE})


class PageSchema(Schema):
    """A page of a listing; `page_envelope` adds its `items`."""

    page = fields.Integer(metadata={"description": "page number, from 1", "example": 1})
    per_page = fields.Integer(metadata={"description": "items per page asked for", "example": PER_PAGE})
    total = fields.Integer(metadata={"description": "matching items on every page", "example": 1})


def page_envelope(items: type[Schema], *, name: str, total: str | None = None) -> type[Schema]:
    """The page schema of a listing of `items`: {items, page, per_page, total}.

    `name` is the new class's name, so its OpenAPI component is `name` less `Schema` (unique across the API);
    `total` describes what the listing counts, if more needs saying than "matching items on every page".
    """
    if not name.endswith("PageSchema"):
        raise ValueError(f"a page schema's name ends in PageSchema: {name!r}")
    attrs: dict[str, object] = {
        "__module__": items.__module__,
        "__qualname__": name,
        "__doc__": f"A page of {items.__name__.removesuffix('Schema')} items.",
        "items": fields.List(fields.Nested(items)),
    }
    if total is not None:
        attrs["total"] = fields.Integer(metadata={"description": total, "example": 1})
    return type(name, (PageSchema,), attrs)
