"""JSON-LD with the contexts bundled in certificates/contexts and RDF Dataset Canonicalization that never goes online.

A credential's signature covers the canonical N-Quads of its JSON-LD, so what a context says is part of what is
signed: a context fetched at signing time could be changed or withheld by whoever serves it. Every context used here
is therefore a checked-in copy (certificates/contexts/README.md names where each came from), and a document naming
any other context is refused rather than fetched.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

CONTEXT_DIR = Path(__file__).parent / "contexts"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# URL -> the file holding its copy.
BUNDLED: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-3.0.3.jsonld",
}


# What pyld raises for a document it cannot expand or canonicalise.
CanonicalizationError = jsonld.JsonLdError


class UnknownContext(ValueError):
    """A document names a context that is not bundled; it is never fetched."""


@cache
def _context(url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONTEXT_DIR / BUNDLED[url]).read_text(encoding="utf-8"))
    return document


def bundled_context(url: str) -> dict[str, Any]:
    """The checked-in copy of a context (a fresh copy: callers may change it)."""
    if url not in BUNDLED:
        raise UnknownContext(f"the JSON-LD context {url!r} is not bundled with this library and is never fetched")
    return json.loads(json.dumps(_context(url)))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader serving only the bundled contexts."""
    try:
        document = bundled_context(url)
    except UnknownContext as err:
        raise jsonld.JsonLdError(str(err), "jsonld.LoadDocumentError", {"url": url},
                                 code="loading document failed") from err
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def _refuse_dropped(term: str | None) -> None:
    # A property the contexts do not define would be left out of the canonical form, so a signature would not
    # cover it: refuse the document instead (jsonld.js calls this "safe mode").
    raise jsonld.JsonLdError(f"the property {term!r} is not defined by the document's contexts and would not be "
                             "signed", "jsonld.ValidationError", {"term": term})


def canonical_nquads(document: dict[str, Any]) -> bytes:
    """The RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, UTF-8."""
    processor = jsonld.JsonLdProcessor(on_property_dropped=_refuse_dropped)
    nquads = processor.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                            "documentLoader": document_loader, "base": ""})
    assert isinstance(nquads, str)  # noqa: S101  (the format asked for)
    return nquads.encode("utf-8")


# One line of canonical N-Quads: subject, predicate, object (an IRI, a blank node or a literal with its datatype or
# language), the graph if any. RDFC-1.0 writes exactly this shape.
_QUAD = re.compile(r'(<[^>]*>|_:\S+) <([^>]*)> (<[^>]*>|_:\S+|"((?:[^"\\]|\\.)*)"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?)'
                   r'(?: (?:<[^>]*>|_:\S+))? \.')


def statements(document: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """What a signature over the document's canonical form actually covers, as (subject, predicate, object, the
    object is a literal): IRIs without their brackets, blank nodes as `_:c14n0`, literals unescaped. Read signed
    fields from these, not from the JSON, which can say the same thing in other shapes."""
    found = []
    for line in canonical_nquads(document).decode("utf-8").splitlines():
        match = _QUAD.fullmatch(line)
        if match is None:
            raise CanonicalizationError(f"unexpected N-Quads line {line!r}", "jsonld.SyntaxError")
        subject, predicate, node, literal = match.groups()
        if literal is not None:
            found.append((subject.strip("<>"), predicate, json.loads(f'"{literal}"'), True))
        else:
            found.append((subject.strip("<>"), predicate, node.strip("<>"), False))
    return found
