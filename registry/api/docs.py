"""GET /api/v1/docs: the API's reference as one server-rendered page, read from the OpenAPI document itself.

Whatever the blueprints declare (paths, parameters, schemas, examples) is shown, so the page cannot drift from
/api/v1/openapi.json. No script and no asset from elsewhere: the site's layout and stylesheet, nothing more.
The view model is built once per application (the spec is complete before the first request) and kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from registry.api import api

bp = Blueprint("api_reference", __name__, template_folder="templates")

PREFIX = "/api/v1"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
_CACHE_KEY = "registry.api_reference"
# JSON Schema keywords shown as they are (the vocabulary of every API reader), in this order.
_CONSTRAINTS = ("enum", "const", "pattern", "minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum",
                "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems", "default", "nullable",
                "readOnly", "writeOnly", "deprecated")


# A type as shown: text pieces, some of them links to a schema's section (that section's id, else None).
Part = tuple[str, str | None]


@dataclass(frozen=True)
class Field:
    name: str
    parent: str  # "candidates[]." for a field of a nested object, else ""
    type: Markup  # the type as HTML, with links to the schemas' sections
    constraints: str
    required: bool
    description: Markup
    example: Markup | None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    type: Markup  # the type as HTML, with links to the schemas' sections
    constraints: str
    required: bool
    description: Markup
    example: Markup | None


@dataclass(frozen=True)
class Example:
    label: str
    text: Markup


@dataclass(frozen=True)
class Body:
    media_type: str
    required: bool
    description: Markup
    type: Markup  # the type as HTML, with links to the schemas' sections
    fields: tuple[Field, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Header:
    name: str
    description: Markup


@dataclass(frozen=True)
class Answer:
    status: str
    description: Markup
    media_type: str
    type: Markup  # the type as HTML, with links to the schemas' sections
    headers: tuple[Header, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: Markup
    description: Markup
    auth: bool
    schemes: tuple[str, ...]
    idempotent: bool
    deprecated: bool
    parameters: tuple[Parameter, ...]
    body: Body | None
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Group:
    name: str
    anchor: str
    description: Markup
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    anchor: str
    description: Markup
    type: Markup  # the type as HTML, with links to the schemas' sections
    constraints: str
    fields: tuple[Field, ...]
    example: Markup | None


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    openapi: str
    description: Markup
    groups: tuple[Group, ...]
    schemas: tuple[SchemaDoc, ...]
    operation_count: int
    sample: Operation | None  # an authenticated GET without path parameters, for the curl example


@dataclass
class _Reader:
    """Reads one OpenAPI document: resolves local $refs, names types, lists an object's fields."""

    spec: Mapping[str, Any]
    idempotent: set[tuple[str, str]] = field(default_factory=set)

    def resolve(self, node: Any) -> Any:
        """The node a local `$ref` points to (followed until it is not a reference)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            ref = node["$ref"]
            seen.add(ref)
            target: Any = self.spec
            if not ref.startswith("#/"):
                return {}
            for token in ref[2:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or token not in target:
                    return {}
                target = target[token]
            node = target
        return node if isinstance(node, Mapping) else {}

    @staticmethod
    def schema_name(node: Any) -> str | None:
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
        return None

    def type_of(self, schema: Any) -> tuple[Part, ...]:
        if not isinstance(schema, Mapping):
            return (("any", None),)
        name = self.schema_name(schema)
        if name is not None:
            return ((name, schema_anchor(name)),)
        for key, joint in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")):
            choices = schema.get(key)
            if isinstance(choices, list) and choices:
                parts: list[Part] = []
                for i, choice in enumerate(choices):
                    if i:
                        parts.append((joint, None))
                    parts.extend(self.type_of(choice))
                return tuple(parts)
        kinds = schema.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if not kinds:
            if "properties" in schema:
                kinds = ["object"]
            elif "items" in schema:
                kinds = ["array"]
            elif "enum" in schema and schema["enum"]:
                kinds = sorted({_json_kind(v) for v in schema["enum"]})
            else:
                return (("any", None),)
        parts = []
        for i, kind in enumerate(kinds):
            if i:
                parts.append((" | ", None))
            if kind == "array":
                parts.append(("array<", None))
                parts.extend(self.type_of(schema.get("items", {})))
                parts.append((">", None))
            elif kind == "object" and not schema.get("properties") and isinstance(
                    schema.get("additionalProperties"), Mapping) and schema["additionalProperties"]:
                parts.append(("object<string, ", None))
                parts.extend(self.type_of(schema["additionalProperties"]))
                parts.append((">", None))
            elif kind != "null" and isinstance(schema.get("format"), str):
                parts.append((f"{kind} ({schema['format']})", None))
            else:
                parts.append((str(kind), None))
        return tuple(parts)

    def object_of(self, schema: Any) -> Mapping[str, Any] | None:
        """The object a field holds (through a $ref, an array's items, or `X | null`), if it has properties."""
        node = self.resolve(schema)
        for _depth in range(8):
            if node.get("properties"):
                return node
            if node.get("type") == "array" or "items" in node:
                node = self.resolve(node.get("items", {}))
                continue
            choices = [c for c in node.get("anyOf") or node.get("oneOf") or node.get("allOf") or []
                       if self.resolve(c).get("type") != "null"]
            if len(choices) == 1:
                node = self.resolve(choices[0])
                continue
            return None
        return None

    def fields(self, schema: Any, *, nested: bool) -> tuple[Field, ...]:
        """The properties of an object schema; with `nested`, those of an object field indented one level."""
        node = self.resolve(schema)
        if not node.get("properties"):
            inner = self.object_of(node)
            if inner is None:
                return ()
            node = inner
        rows: list[Field] = []
        for name, prop, required in self._properties(node):
            rows.append(self._field(name, "", prop, required))
            inner = self.object_of(prop) if nested else None
            if inner is not None:
                parent = name + ("[]." if self._is_array(prop) else ".")
                rows.extend(self._field(sub, parent, sub_prop, sub_required)
                            for sub, sub_prop, sub_required in self._properties(inner))
        return tuple(rows)

    def _properties(self, node: Mapping[str, Any]) -> Iterable[tuple[str, Any, bool]]:
        required = set(node.get("required") or ())
        for name, prop in (node.get("properties") or {}).items():
            yield str(name), prop, name in required

    def _is_array(self, prop: Any) -> bool:
        node = self.resolve(prop)
        kinds = node.get("type")
        return kinds == "array" or (isinstance(kinds, list) and "array" in kinds) or "items" in node

    def _field(self, name: str, parent: str, prop: Any, required: bool) -> Field:
        own = prop if isinstance(prop, Mapping) else {}
        target = self.resolve(own)
        description = own.get("description") or target.get("description") or ""
        return Field(name=name, parent=parent, type=type_html(self.type_of(own)), constraints=constraints(own),
                     required=required, description=prose(description), example=_example_of(own))

    def parameters(self, path_item: Mapping[str, Any], operation: Mapping[str, Any]) -> tuple[Parameter, ...]:
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
            param = self.resolve(raw)
            if param.get("name"):
                merged[(str(param["name"]), str(param.get("in", "")))] = param
        order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
        found = sorted(merged.values(), key=lambda p: order.get(str(p.get("in")), 4))  # stable within a place
        result = []
        for param in found:
            schema = param.get("schema") or {}
            if not schema and isinstance(param.get("content"), Mapping) and param["content"]:
                schema = next(iter(param["content"].values())).get("schema") or {}
            example = _inline_example(param["example"]) if "example" in param else _example_of(schema)
            result.append(Parameter(
                name=str(param["name"]), location=str(param.get("in", "")), type=type_html(self.type_of(schema)),
                constraints=constraints(self.resolve(schema) if self.schema_name(schema) is None else {}),
                required=bool(param.get("required")) or param.get("in") == "path",
                description=prose(param.get("description") or self.resolve(schema).get("description") or ""),
                example=example))
        return tuple(result)

    def body(self, operation: Mapping[str, Any]) -> Body | None:
        raw = operation.get("requestBody")
        if raw is None:
            return None
        body = self.resolve(raw)
        media_type, media = _first_media(body.get("content"))
        schema = media.get("schema") or {}
        return Body(media_type=media_type, required=bool(body.get("required")),
                    description=prose(body.get("description") or ""),
                    type=type_html(self.type_of(schema)) if schema else Markup(""),
                    fields=self.fields(schema, nested=True) if schema else (),
                    examples=self.examples(media))

    def answers(self, operation: Mapping[str, Any]) -> tuple[Answer, ...]:
        result = []
        for status, raw in sorted((operation.get("responses") or {}).items(), key=lambda kv: _status_order(kv[0])):
            answer = self.resolve(raw)
            media_type, media = _first_media(answer.get("content"))
            schema = media.get("schema")
            headers = tuple(Header(name=str(name), description=prose(self.resolve(h).get("description") or ""))
                            for name, h in (answer.get("headers") or {}).items())
            result.append(Answer(status=str(status), description=prose(answer.get("description") or ""),
                                 media_type=media_type, type=type_html(self.type_of(schema)) if schema else Markup(""),
                                 headers=headers, examples=self.examples(media)))
        return tuple(result)

    def examples(self, media: Mapping[str, Any]) -> tuple[Example, ...]:
        if "example" in media:
            return (Example("", pretty(media["example"])),)
        found = []
        for name, raw in (media.get("examples") or {}).items():
            example = self.resolve(raw)
            if "value" in example:
                found.append(Example(str(example.get("summary") or name), pretty(example["value"])))
        return tuple(found)

    def schema_doc(self, name: str, schema: Any) -> SchemaDoc:
        node = self.resolve(schema)
        examples = node.get("examples")
        example = node.get("example", examples[0] if isinstance(examples, list) and examples else None)
        return SchemaDoc(name=name, anchor=schema_anchor(name), description=prose(node.get("description") or ""),
                         type=type_html(self.type_of(node)), constraints=constraints(node),
                         fields=self.fields(node, nested=False) if node.get("properties") else (),
                         example=pretty(example) if example is not None else None)


def type_html(parts: Iterable[Part]) -> Markup:
    """`array<<a href="#schema-X">X</a>>` in a .mono span: built here once rather than by a macro per row."""
    inner = Markup("").join(Markup('<a href="#{}">{}</a>').format(anchor, text) if anchor else escape(text)
                            for text, anchor in parts)
    return Markup('<span class="mono">{}</span>').format(inner)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "string"


def _first_media(content: Any) -> tuple[str, Mapping[str, Any]]:
    """The JSON representation if there is one, else the first listed."""
    if not isinstance(content, Mapping) or not content:
        return "", {}
    for media_type, media in content.items():
        if "json" in media_type:
            return str(media_type), media or {}
    media_type, media = next(iter(content.items()))
    return str(media_type), media or {}


def _status_order(status: Any) -> tuple[int, str]:
    text = str(status)
    if text.isdigit():
        return int(text), text
    if len(text) == 3 and text[0].isdigit():  # "4XX"
        return int(text[0]) * 100 + 99, text
    return 1000, text  # "default" last


def _json_inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _code(text: str) -> Markup:
    """Text for a <pre> or <code>: escaped once here, quotes left as they are (the JSON stays readable)."""
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))  # noqa: S704


def _inline_example(value: Any) -> Markup:
    """A value in a table cell: a short one kept on one line (.mono wraps only on a phone), a long one free to wrap."""
    text = _json_inline(value)
    if len(text) <= 32:
        return Markup('<span class="mono">{}</span>').format(text)
    return Markup("<code>{}</code>").format(text)


def _example_of(schema: Any) -> Markup | None:
    if not isinstance(schema, Mapping):
        return None
    if "example" in schema:
        return _inline_example(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return _inline_example(examples[0])
    return None


def pretty(value: Any) -> Markup:
    return _code(json.dumps(value, ensure_ascii=False, indent=2))


def constraints(schema: Any) -> str:
    """`minLength: 1, maxLength: 64, pattern: ^…$`: the schema's limits in its own keywords."""
    if not isinstance(schema, Mapping):
        return ""
    shown = []
    for key in _CONSTRAINTS:
        if key in schema and schema[key] is not False:
            value = schema[key]
            if key == "enum":
                shown.append("enum: " + ", ".join(_json_inline(v) if not isinstance(v, str) else v for v in value))
            elif value is True:
                shown.append(key)
            else:
                shown.append(f"{key}: {value if isinstance(value, str) else _json_inline(value)}")
    return "; ".join(shown)


_CODE = re.compile(r"`([^`\n]+)`")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def prose(text: Any) -> Markup:
    """A description from the spec as inline HTML in its own language (English unless it has no English word):
    escaped, `code` spans kept, paragraphs on lines of their own."""
    if not isinstance(text, str) or not text.strip():
        return Markup("")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html = "<br>".join(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(p))) for p in paragraphs)
    lang = "zh-CN" if _CJK.search(text) and not _LATIN.search(_CODE.sub("", text)) else "en"
    return Markup(f'<span lang="{lang}">{html}</span>')  # noqa: S704  (every piece of text escaped above)


def schema_anchor(name: str) -> str:
    return "schema-" + _slug(name, lower=False)


def _slug(text: str, *, lower: bool = True) -> str:
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-")
    return slug.lower() if lower else slug


def _is_public(method: str, path: str) -> bool:
    """Without security in the spec: verification, the standards and the index need no credentials."""
    rel = path[len(PREFIX):] if path.startswith(PREFIX) else path
    if rel in ("", "/"):
        return method == "get"
    return rel == "/verify" or rel == "/standards" or rel.startswith("/standards/")


def _security(spec: Mapping[str, Any], operation: Mapping[str, Any], method: str,
              path: str) -> tuple[bool, tuple[str, ...]]:
    """Whether the operation needs credentials, and the schemes it names (empty when the spec names none)."""
    requirements = operation["security"] if "security" in operation else spec.get("security")
    if requirements is None:
        return not _is_public(method, path), ()
    requirements = list(requirements or [])
    schemes = tuple(dict.fromkeys(str(name) for req in requirements for name in (req or {})))
    optional = not requirements or any(not req for req in requirements)  # an empty requirement: anonymous too
    return not optional, schemes


def _idempotent_operations(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every view marked @idempotent (registry.api.idempotency)."""
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            handler = getattr(view_class, method.lower(), None) if view_class is not None else view
            if method == "POST" and getattr(handler, "idempotent", False):
                found.add(("post", path))
    return found


def build_reference(spec: Mapping[str, Any], idempotent: set[tuple[str, str]] | None = None) -> Reference:
    """The page's view model from an OpenAPI document (apispec's dict; nothing in it is changed)."""
    reader = _Reader(spec, idempotent or set())
    declared = [t for t in spec.get("tags") or [] if isinstance(t, Mapping) and t.get("name")]
    tag_order = [str(t["name"]) for t in declared]
    tag_text = {str(t["name"]): t.get("description") or "" for t in declared}
    grouped: dict[str, list[Operation]] = {}
    anchors: set[str] = set()
    count = 0
    for path, path_item in (spec.get("paths") or {}).items():
        item = reader.resolve(path_item)
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            count += 1
            anchor = base = _slug(f"{method} {path}")  # "post-api-v1-verify": a method first, so no other id's
            n = 2
            while anchor in anchors:  # /a/{b} and /a/b would share one
                anchor, n = f"{base}-{n}", n + 1
            anchors.add(anchor)
            auth, schemes = _security(spec, operation, method, path)
            tags = operation.get("tags") or [""]
            grouped.setdefault(str(tags[0]), []).append(Operation(
                anchor=anchor, method=method.upper(), path=str(path),
                summary=prose(operation.get("summary") or ""),
                description=prose(operation.get("description") or ""),
                auth=auth, schemes=schemes, idempotent=(method, path) in reader.idempotent,
                deprecated=bool(operation.get("deprecated")),
                parameters=reader.parameters(item, operation), body=reader.body(operation),
                answers=reader.answers(operation)))
    names = [t for t in tag_order if t in grouped] + [t for t in grouped if t not in tag_order and t]
    if "" in grouped:
        names.append("")
    groups = tuple(Group(name=name, anchor="tag-" + (_slug(name) or "other"), description=prose(tag_text.get(name)),
                         operations=tuple(grouped[name])) for name in names)
    schemas = tuple(reader.schema_doc(str(name), schema)
                    for name, schema in ((spec.get("components") or {}).get("schemas") or {}).items())
    info = spec.get("info") or {}
    sample = next((op for g in groups for op in g.operations if op.method == "GET" and op.auth
                   and "{" not in op.path), None)
    return Reference(title=str(info.get("title") or ""), version=str(info.get("version") or ""),
                     openapi=str(spec.get("openapi") or ""), description=prose(info.get("description") or ""),
                     groups=groups, schemas=schemas, operation_count=count, sample=sample)


def reference() -> Reference:
    """This application's reference, built on first use and kept (the spec is complete by then)."""
    spec = api.spec
    kept = current_app.extensions.get(_CACHE_KEY)
    if kept is None or kept[0] is not spec:
        kept = (spec, build_reference(spec.to_dict(), _idempotent_operations(current_app)))
        current_app.extensions[_CACHE_KEY] = kept
    built: Reference = kept[1]
    return built


def _error_example() -> Markup:
    return pretty({"code": 404, "status": "Not Found",
                   "message": _("未找到证书 %(number)s。", number="S000044100001265000001"),
                   "reason": "certificate-not-found", "field": "number"})


def _signed_in() -> bool:
    return getattr(current_app, "login_manager", None) is not None and bool(current_user.is_authenticated)


@bp.get(f"{PREFIX}/docs")
def docs() -> Response:
    limits = {name: Markup('<span class="mono" lang="en">{}</span>').format(current_app.config[name])
              for name in ("API_RATE_LIMIT", "VERIFY_RATE_LIMIT", "VERIFY_CEILING")}  # as configured: "10 per minute"
    page = render_template("api_docs.html", ref=reference(), error_example=_error_example(),
                           base_url=request.url_root.rstrip("/"), limits=limits)
    response = current_app.response_class(page, mimetype="text/html")
    # The same for every reader of a language; a signed-in person's copy has their menu and form token in it.
    response.headers["Cache-Control"] = "private, max-age=300" if _signed_in() else "public, max-age=300"
    response.vary.update(("Accept-Language", "Cookie"))  # the language comes from ?lang=, the cookie, or the header
    return response
