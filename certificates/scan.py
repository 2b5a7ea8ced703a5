"""Read the QR code drawn on a certificate PDF: rasterise the page (poppler's pdftoppm), decode (zxing-cpp).

Optional tooling for `registry verify --scan` and the tests; the verifier itself needs neither.
"""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404  (runs pdftoppm, a fixed local program, on bytes we pass in)
import tempfile
from pathlib import Path


class ScanError(RuntimeError):
    pass


def rasterise(pdf: bytes, *, dpi: int = 150) -> bytes:
    """The first page as PNG bytes."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise ScanError("pdftoppm is not installed (Debian: apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "certificate.pdf"
        source.write_bytes(pdf)
        done = subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            [tool, "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(source), str(Path(tmp) / "page")],
            capture_output=True, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise ScanError(f"pdftoppm could not render the PDF: {done.stderr.decode(errors='replace').strip()}")
        return (Path(tmp) / "page.png").read_bytes()


def decode_qr(png: bytes) -> list[str]:
    """The text of every QR code found in the image."""
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as err:
        raise ScanError("decoding QR codes needs zxing-cpp (pip install zxing-cpp)") from err
    from io import BytesIO

    image = Image.open(BytesIO(png))
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]


def scan_qr(pdf: bytes) -> str:
    """The one QR code on the certificate's first page."""
    found = decode_qr(rasterise(pdf))
    if len(found) != 1:
        raise ScanError(f"expected one QR code on the page, found {len(found)}")
    return found[0]
