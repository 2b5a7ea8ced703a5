"""Certificate documents on one core: render and PAdES-sign PDFs, the registry's path against a naive one.

    python -m bench.certificate [--count 200] [--photo] [--profile N]

The registry's path ("fast") is what registry.services.documents does: the QR URL from the stored QR signature,
`qr_matrix(url)` (mask chosen by the bit-parallel penalty evaluation in certificates.qr), the symbol drawn as
one vector path by `render_certificate`, then `sign_pdf` with the body's key and certificate.

The naive path renders the same certificate the way a first implementation would: the same URL, the matrix
from `qr_matrix(url, fast=False)` (the qrcode library's own search over the eight masks), rasterised by
qrcode's Pillow image factory exactly as `QRCode.make_image()` does (box size 10, 4-module border, 1-bit PNG),
and that PNG placed with reportlab's `drawImage` over the very box the vector symbol would fill. For that the
benchmark swaps, for the naive renders only, certificates.pdf's private `_draw_verification` for a wrapper that
draws the rest of the block as before (with `_qr_operators` returning nothing) and then the image;
certificates/pdf.py itself is unchanged. The signing step is the same on both paths.

Both paths run in the same process, interleaved certificate by certificate (alternating which goes first), each
certificate with its own holder, ID number and certificate number, so neither the QR nor the layout can come
from a cache of an earlier certificate. Warm-up (fonts, per-version QR tables, pyHanko's first use) happens
before timing and is reported on its own.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import qrcode
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image, ImageDraw, ImageFilter
from pyhanko.sign import signers
from qrcode.image.pil import PilImage
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from reportlab.pdfgen.canvas import Canvas

import standards
from bench.common import (
    BODY_CODE,
    BODY_CREDIT_CODE,
    BODY_KIND,
    BODY_NAME,
    BODY_PROVINCE,
    BODY_SITE,
    machine,
    percentile,
    person_id,
    person_name,
    print_table,
)
from certificates import ID_TYPES, Signer, format_number, generate_private_key
from certificates import pdf as certificate_pdf
from certificates.fonts import font_characters, register_fonts
from certificates.pades import check_pdf_signature, sign_pdf
from certificates.payload import qr_url, sign_record_payload
from certificates.pdf import CertificateDocument, prepare_photo, render_certificate
from certificates.pki import issue_signing_certificate, make_root_certificate
from certificates.qr import mask_penalty, qr_matrix
from certificates.record import NO_WORK_TYPE, CertificateRecord

OCCUPATION, LEVEL = "6-31-01-03@2018", 4
BASE_URL = "https://zscx.example.cn"
ISSUED_ON = date(2026, 5, 20)
SIGNED_AT = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
REASON = "职业技能等级证书 Vocational skill level certificate"  # as registry.services.documents signs
TARGET_MS, TARGET_KB = 50.0, 150.0
KB = 1000  # the size budget is 150,000 bytes (tests/unit/test_pdf.py)
WARM_UP = 5  # untimed certificates per variant after the first one
BREAKDOWN_COUNT = 50  # certificates per variant for where the time goes
PNG_BOX, PNG_BORDER = 10, 4  # qrcode's defaults: 10 pixels a module, the 4-module quiet zone


# --- one core -----------------------------------------------------------------------------------------------

def pin_to_one_core() -> str:
    """Run on one CPU, the lowest this process may use; say which, or that the platform cannot."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


# --- what is signed -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    body: x509.Certificate
    body_key: ec.EllipticCurvePrivateKey


def make_pki() -> Pki:
    """A throw-away root and the bench body's signing certificate under it, as registry.services.keys makes."""
    start, end = SIGNED_AT - timedelta(days=30), SIGNED_AT + timedelta(days=3 * 365)
    root_key, body_key = generate_private_key(), generate_private_key()
    root = make_root_certificate(root_key, common_name="职业技能等级证书登记系统根证书（基准）",
                                 not_before=start, not_after=end)
    body = issue_signing_certificate(issuer_key=root_key, issuer_certificate=root, public_key=body_key.public_key(),
                                     body_name=BODY_NAME, credit_code=BODY_CREDIT_CODE, not_before=start,
                                     not_after=end)
    return Pki(root, body, body_key)


@dataclass(frozen=True)
class Issued:
    """A certificate as stored at issuance: its record and the body's signature over its QR payload."""

    record: CertificateRecord
    qr_signature: str


def issued_certificates(count: int, signer: Signer) -> list[Issued]:
    version = next(v for v in standards.load_catalogue() if v.ref == OCCUPATION)
    out = []
    for p in range(count):
        record = CertificateRecord(
            number=format_number(BODY_KIND, BODY_CODE, BODY_PROVINCE, BODY_SITE, ISSUED_ON.year, LEVEL, p + 1),
            holder_name=person_name(p), id_type="resident", id_type_label=ID_TYPES["resident"][0],
            id_number=person_id(p), occupation_code=version.code, occupation_name=version.name,
            work_type=version.work_types[0] if version.work_types else NO_WORK_TYPE, level=LEVEL,
            level_label=standards.level_label(LEVEL), standard=version.ref, standard_title=version.title,
            body_name=BODY_NAME, body_credit_code=BODY_CREDIT_CODE, assessed_on=ISSUED_ON - timedelta(days=10),
            issued_on=ISSUED_ON,
        )
        out.append(Issued(record, sign_record_payload(record, signer.private_key, signer.key_id)))
    return out


def upload_photo() -> bytes:
    """A stand-in for a holder's phone photo: 1200 x 1600 JPEG, a lit backdrop, head and shoulders, sensor noise."""
    width, height = 1200, 1600
    backdrop = Image.linear_gradient("L").resize((width, height)).point(lambda v: 150 + v // 3)
    image = Image.merge("RGB", (backdrop.point(lambda v: v - 40), backdrop.point(lambda v: v - 10), backdrop))
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 1150, 870, 1900), fill=(38, 44, 58))  # shoulders in a dark jacket
    draw.rectangle((520, 880, 680, 1200), fill=(214, 170, 140))  # neck
    draw.ellipse((400, 420, 800, 960), fill=(224, 182, 150))  # face
    draw.ellipse((380, 330, 820, 640), fill=(30, 24, 20))  # hair
    for eye in (500, 640):
        draw.ellipse((eye, 650, eye + 60, 690), fill=(40, 30, 25))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.frombytes("RGB", (width, height), random.Random(2026).randbytes(width * height * 3))
    image = Image.blend(image, noise, 0.06)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


# --- the two paths ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RasterQrDocument(CertificateDocument):
    """The naive path's document: the QR as a PNG to be placed where the vector symbol would be."""

    qr_png: bytes = b""


_draw_verification = certificate_pdf._draw_verification


def _draw_verification_with_png(page: certificate_pdf._Page, doc: CertificateDocument) -> None:
    if not isinstance(doc, RasterQrDocument):
        raise TypeError("raster_qr() renders RasterQrDocument only")
    _draw_verification(page, doc)  # the text, link and layout of the block; _qr_operators draws nothing here
    box = certificate_pdf.QR_BOX_MM * certificate_pdf.MM
    module = box / (len(doc.qr_modules) + 2 * certificate_pdf.QR_QUIET_ZONE)
    x = certificate_pdf.TABLE_LEFT - certificate_pdf.QR_QUIET_ZONE * module  # as _draw_verification places it
    page.c.drawImage(ImageReader(io.BytesIO(doc.qr_png)), x, certificate_pdf.QR_BOTTOM, box, box)


@contextmanager
def raster_qr() -> Iterator[None]:
    """Inside: render_certificate places RasterQrDocument.qr_png instead of drawing the vector symbol."""
    saved = certificate_pdf._draw_verification, certificate_pdf._qr_operators
    certificate_pdf._draw_verification = _draw_verification_with_png
    certificate_pdf._qr_operators = lambda *_: ""
    try:
        yield
    finally:
        certificate_pdf._draw_verification, certificate_pdf._qr_operators = saved


def qr_png(modules: Sequence[Sequence[bool]]) -> bytes:
    """The PNG QRCode(box_size=10, border=4).make_image() gives for this matrix: one rectangle per dark module."""
    image = PilImage(PNG_BORDER, len(modules), PNG_BOX, qrcode_modules=modules)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                image.drawrect(r, c)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Sample:
    qr: float  # seconds: URL and QR matrix
    png: float  # seconds: rasterising the QR (naive path only)
    render: float
    sign: float
    size: int  # bytes of the signed PDF
    version: int

    @property
    def total(self) -> float:
        return self.qr + self.png + self.render + self.sign


@dataclass(frozen=True)
class Variant:
    path: str  # "fast" or "naive"
    photo: bytes | None

    @property
    def label(self) -> str:
        return f"{self.path}, {'photo' if self.photo else 'no photo'}"


def certificate(variant: Variant, issued: Issued, signer: Signer, pki: Pki) -> tuple[Sample, bytes, bytes]:
    """Render and sign one certificate by `variant`; the timings, the unsigned and the signed PDF."""
    record = issued.record
    started = time.perf_counter()
    url = qr_url(record, signer.key_id, issued.qr_signature, BASE_URL)
    matrix = qr_matrix(url, fast=variant.path == "fast")
    matrix_done = time.perf_counter()
    printed: dict[str, Any] = {
        "record": record, "qr_modules": matrix.modules, "qr_url": url, "photo": variant.photo, "show_full_id": False,
        "lookup_url": f"{BASE_URL}/verify", "body_lookup_url": f"{BASE_URL}/bodies/{record.body_credit_code}",
    }  # as registry.services.documents.render_unsigned fills it
    if variant.path == "fast":
        png_done = matrix_done
        pdf = render_certificate(CertificateDocument(**printed))
    else:
        png = qr_png(matrix.modules)
        png_done = time.perf_counter()
        with raster_qr():
            pdf = render_certificate(RasterQrDocument(**printed, qr_png=png))
    rendered = time.perf_counter()
    signed = sign_pdf(pdf, key=pki.body_key, certificate=pki.body, chain=[pki.root], reason=REASON,
                      signed_at=SIGNED_AT)
    done = time.perf_counter()
    sample = Sample(qr=matrix_done - started, png=png_done - matrix_done, render=rendered - png_done,
                    sign=done - rendered, size=len(signed), version=matrix.version)
    return sample, pdf, signed


def check(variant: Variant, pdf: bytes, signed: bytes, pki: Pki) -> None:
    """Outside the timing: the signature holds, and each path drew its QR the way it claims to."""
    result = check_pdf_signature(signed, [pki.root])
    if not result.ok or not signed.startswith(pdf):
        raise SystemExit(f"{variant.label}: the signed PDF does not check: {result.problem}")
    images = pdf.count(b"/Subtype /Image")
    expected = (1 if variant.path == "naive" else 0) + (1 if variant.photo else 0)
    if images != expected:
        raise SystemExit(f"{variant.label}: {images} images in the PDF, expected {expected}")


# --- figures ------------------------------------------------------------------------------------------------

def ms(seconds: float) -> float:
    return seconds * 1000


@dataclass(frozen=True)
class Summary:
    variant: Variant
    rate: float  # certificates per second: count over the summed per-certificate times
    mean: float  # milliseconds from here on
    p50: float
    p95: float
    qr: float
    png: float
    render: float
    sign: float
    kb: float
    max_kb: float
    versions: str

    @classmethod
    def of(cls, variant: Variant, samples: list[Sample]) -> Summary:
        totals = sorted(s.total for s in samples)
        sizes = [s.size for s in samples]
        versions = Counter(s.version for s in samples)
        return cls(
            variant=variant, rate=len(samples) / sum(totals), mean=ms(statistics.fmean(totals)),
            p50=ms(percentile(totals, 50)), p95=ms(percentile(totals, 95)),
            qr=ms(statistics.fmean(s.qr for s in samples)), png=ms(statistics.fmean(s.png for s in samples)),
            render=ms(statistics.fmean(s.render for s in samples)), sign=ms(statistics.fmean(s.sign for s in samples)),
            kb=statistics.fmean(sizes) / KB, max_kb=max(sizes) / KB,
            versions=", ".join(f"{v} ({n})" for v, n in sorted(versions.items())),
        )

    def row(self) -> tuple[object, ...]:
        return (self.variant.label, self.rate, self.mean, self.p50, self.p95, self.qr, self.png, self.render,
                self.sign, self.kb, self.max_kb, self.versions)


HEADERS = ("variant", "certs/s", "mean ms", "p50 ms", "p95 ms", "QR ms", "PNG ms", "render ms", "sign ms", "PDF KB",
           "max KB", "QR version (count)")


def warm_up(variants: Sequence[Variant], issued: Issued, signer: Signer, pki: Pki) -> None:
    """What the first certificate of a fresh process pays: the fonts, then one certificate of each path."""
    started = time.perf_counter()
    register_fonts()
    font_characters()
    seconds = time.perf_counter() - started
    print(f"warm-up: fonts loaded (two Noto Serif SC faces and their coverage) in {ms(seconds):.0f} ms, "
          "once per process")
    for variant in variants:
        first, pdf, signed = certificate(variant, issued, signer, pki)
        check(variant, pdf, signed, pki)
        print(f"  first {variant.label:<16} certificate: {ms(first.total):6.1f} ms (QR {ms(first.qr):.1f}, "
              f"PNG {ms(first.png):.1f}, render {ms(first.render):.1f}, sign {ms(first.sign):.1f})")
        for _ in range(WARM_UP):
            certificate(variant, issued, signer, pki)


# --- where the time goes ------------------------------------------------------------------------------------

class Breakdown:
    """Exclusive time per bucket: a wrapped call's time, less that of the wrapped calls made inside it."""

    def __init__(self) -> None:
        self.seconds: defaultdict[Variant, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.variant = Variant("fast", None)  # whose certificate is being made
        self._inner: list[float] = []

    def _timed(self, original: Callable[..., object], bucket: str) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            self._inner.append(0.0)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[self.variant][bucket] += elapsed - self._inner.pop()
                if self._inner:
                    self._inner[-1] += elapsed
        return timed

    @contextmanager
    def wrapping(self, targets: Sequence[tuple[object, str, str]]) -> Iterator[None]:
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
        for owner, name, bucket in targets:
            setattr(owner, name, self._timed(getattr(owner, name), bucket))
        try:
            yield
        finally:
            for owner, name, original in reversed(saved):
                setattr(owner, name, original)


def _targets() -> list[tuple[object, str, str]]:
    here = sys.modules[__name__]
    return [
        (here, "qr_url", "QR    payload packed into the URL's decimal digits"),
        (qrcode.QRCode, "make", "QR    qrcode: segments, Reed-Solomon, placement (naive: + its mask search)"),
        (here, "qr_matrix", "QR    fast: mask choice by packed penalties; naive: reading the modules"),
        (here, "qr_png", "PNG   rasterising the QR with qrcode's Pillow factory"),
        (here, "render_certificate", "render checks, layout and page operators"),
        (certificate_pdf, "fit", "render fitting values: measuring, wrapping"),
        (certificate_pdf._Page, "text", "render text runs (reportlab drawString)"),
        (Canvas, "drawImage", "render drawImage: reading the PNG or JPEG"),
        (Canvas, "save", "render serialising the PDF objects"),
        (TTFont, "addObjects", "render subsetting the two font faces (the glyphs used)"),
        (TTFontFile, "get_table", "render subsetting: copying each face's 14 MB glyf table (get_table)"),
        (pdfdoc.zlib, "compress", "render zlib: page, font and image streams"),  # reportlab calls zlib.compress
        (here, "sign_pdf", "sign  pyHanko: incremental update, digest, CMS"),
        (signers.SimpleSigner, "sign_raw", "sign  ECDSA P-256 (pyHanko's sign_raw, key load included)"),
    ]


def where_the_time_goes(runs: Mapping[Variant, Sequence[Issued]], signer: Signer, pki: Pki) -> None:
    """The stages split further, with timers wrapped around the functions that do the work (interleaved again)."""
    targets = _targets()
    breakdown = Breakdown()
    with breakdown.wrapping(targets):
        for variant, item in interleaved(runs):
            breakdown.variant = variant
            certificate(variant, item, signer, pki)
    count = min(len(issued) for issued in runs.values())
    print(f"\nwhere the time goes: ms per certificate, each line exclusive of the others, over {count} further "
          "certificates per variant with timers around these functions")
    rows = []
    for _, _, bucket in targets:
        figures = [ms(breakdown.seconds[v][bucket]) / len(runs[v]) for v in runs]
        if any(f >= 0.05 for f in figures):
            rows.append((bucket, *figures))
    rows.append(("total", *(ms(sum(breakdown.seconds[v].values())) / len(runs[v]) for v in runs)))
    print_table(("stage  part", *(v.label for v in runs)), rows)


def interleaved(runs: Mapping[Variant, Sequence[Issued]]) -> Iterator[tuple[Variant, Issued]]:
    """Certificate i of every variant, then i + 1, the order reversed each time: all see the same machine."""
    variants = list(runs)
    for index in range(min(len(issued) for issued in runs.values())):
        for variant in variants if index % 2 == 0 else variants[::-1]:
            yield variant, runs[variant][index]


def compare_masks(issued: Sequence[Issued], signer: Signer) -> None:
    """Untimed: the mask each path picks for the same certificates, and the ISO penalty of the two symbols."""
    same, fast_penalty, library_penalty = 0, 0, 0
    for item in issued:
        url = qr_url(item.record, signer.key_id, item.qr_signature, BASE_URL)
        fast, library = qr_matrix(url), qr_matrix(url, fast=False)
        same += fast.mask == library.mask
        fast_penalty += mask_penalty(fast.modules)
        library_penalty += mask_penalty(library.modules)
    count = len(issued)
    print(f"masks, same {count} certificates: the fast choice is qrcode's for {same}; ISO/IEC 18004 penalty "
          f"(lower is better), mean: fast {fast_penalty / count:.0f}, qrcode's {library_penalty / count:.0f}")


def profile(variant: Variant, issued: Sequence[Issued], signer: Signer, pki: Pki, top: int) -> None:
    """cProfile over one path (slower than the timed runs, pure Python most: read the shares, not the times)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for item in issued:
        certificate(variant, item, signer, pki)
    profiler.disable()
    print(f"\nprofile of {len(issued)} {variant.label} certificates, top {top} by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.certificate", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates per variant (default 200)")
    parser.add_argument("--photo", action="store_true",
                        help="also render every certificate with a holder photo (prepared once, as at upload)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, cProfile the fast path and print its top N functions")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count needs a positive integer")

    pinned = pin_to_one_core()
    print(f"bench.certificate on {machine()}; {pinned}")
    pki = make_pki()
    signer = Signer(pki.body_key)
    photos: list[bytes | None] = [None]
    if args.photo:
        upload = upload_photo()
        started = time.perf_counter()
        prepared = prepare_photo(upload)
        seconds = time.perf_counter() - started
        with Image.open(io.BytesIO(prepared)) as image:
            shape = f"{image.width} x {image.height} JPEG"
        print(f"photo: a {len(upload) / KB:.0f} KB upload prepared once in {ms(seconds):.0f} ms to a "
              f"{len(prepared) / KB:.1f} KB {shape}; stored so, each render only re-reads its header")
        photos.append(prepared)
    variants = [Variant(path, photo) for photo in photos for path in ("fast", "naive")]
    # Every render gets a certificate of its own (holder, ID number, number): the timed ones, those for the
    # breakdown, and one for the warm-up. Dealt round-robin, so each variant gets the same mix of name lengths
    # (two- and three-character names, a few dotted ones), hence of QR versions and PDF sizes.
    extra = min(args.count, BREAKDOWN_COUNT)
    n = len(variants)
    issued = issued_certificates(n * (args.count + extra) + 1, signer)
    timed, rest = issued[: n * args.count], issued[n * args.count : -1]
    timed_runs = {v: timed[k::n] for k, v in enumerate(variants)}
    breakdown_runs = {v: rest[k::n] for k, v in enumerate(variants)}
    print(f"timed per certificate: QR (URL and matrix), PNG (naive only), render_certificate, sign_pdf (PAdES B-B, "
          f"ECDSA P-256); {args.count} certificates per variant, interleaved; KB = {KB} bytes of the signed PDF")

    warm_up(variants, issued[-1], signer, pki)
    samples: dict[Variant, list[Sample]] = {v: [] for v in variants}
    for variant, item in interleaved(timed_runs):
        sample, _, _ = certificate(variant, item, signer, pki)
        samples[variant].append(sample)

    results = {v.label: Summary.of(v, samples[v]) for v in variants}
    print()
    print_table(HEADERS, [r.row() for r in results.values()])
    print()
    for photo in photos:
        name = "photo" if photo else "no photo"
        fast, naive = results[f"fast, {name}"], results[f"naive, {name}"]
        print(f"fast/naive, {name}: {fast.rate / naive.rate:.2f}x the certificates per second, "
              f"{naive.mean - fast.mean:.1f} ms less each (QR {naive.qr - fast.qr:.1f}, PNG {naive.png:.1f}, "
              f"render {naive.render - fast.render:.1f}, sign {naive.sign - fast.sign:.1f}); PDF size "
              f"{fast.kb / naive.kb:.2f}x ({fast.kb:.1f} KB against {naive.kb:.1f} KB)")
    for photo in photos:
        name = "photo" if photo else "no photo"
        fast = results[f"fast, {name}"]
        met = fast.mean <= TARGET_MS and fast.max_kb <= TARGET_KB
        print(f"target, fast path, {name}: <= {TARGET_MS:.0f} ms per certificate and <= {TARGET_KB:.0f} KB: "
              f"{'met' if met else 'NOT met'} (mean {fast.mean:.1f} ms, p95 {fast.p95:.1f} ms; largest PDF "
              f"{fast.max_kb:.1f} KB)")
    compare_masks(timed_runs[variants[0]], signer)
    where_the_time_goes(breakdown_runs, signer, pki)
    print(f"at the end: {machine()}")
    if args.profile:
        profile(variants[0], breakdown_runs[variants[0]], signer, pki, args.profile)

if __name__ == "__main__":
    main()
