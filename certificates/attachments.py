"""Files carried inside a certificate PDF: the Open Badges credential travels with the document it describes.

The file is added as an incremental update before the PAdES signature, so the signature covers it, and the
rendered page bytes stay a prefix of the result (nothing of the page is rewritten).
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

CREDENTIAL_FILE = "openbadge-credential.json"
CREDENTIAL_MIME = "application/ld+json"
CREDENTIAL_DESCRIPTION = "Open Badges 3.0 credential of this certificate / 本证书的开放徽章 3.0 可验证凭证"


def attach_file(pdf: bytes, *, name: str, data: bytes, mime_type: str, description: str,
                relationship: str = "/Alternative") -> bytes:
    """The PDF with `data` embedded as a document-level associated file (PDF 2.0 /AF, as PDF/A-3 does).

    /Alternative: the file is the same certificate in another form. An associated file makes the document PDF 2.0,
    and the update records its time in the document's metadata: sign the result, do not compare it.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    stream = EmbeddedFileObject.from_file_data(
        writer, data, compress=True, mime_type=mime_type,
        params=EmbeddedFileParams(embed_size=True, embed_checksum=True),
    )
    embed_file(writer, FileSpec(file_spec_string=name, file_name=name, embedded_data=stream,
                                description=description, af_relationship=generic.NameObject(relationship)))
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """Every file in the PDF's document-level embedded files, by name (what a PDF reader lists as attachments)."""
    root = PdfFileReader(BytesIO(pdf)).root
    found: dict[str, bytes] = {}
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return found
    for i in range(0, len(names) - 1, 2):
        spec = names[i + 1].get_object()
        found[str(spec.get("/UF", names[i]))] = spec["/EF"]["/F"].get_object().data
    return found
