"""The certificate font (Noto Serif SC, OFL): lazy registration with reportlab, its coverage, line breaking."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_PATH = FONT_DIR / "NotoSerifSC-Regular.ttf"
BOLD_PATH = FONT_DIR / "NotoSerifSC-Bold.ttf"
LICENSE_PATH = FONT_DIR / "OFL.txt"
# HanaMin B (GlyphWiki, Hanazono licence or OFL): CJK Extensions B-F, for rare name characters Noto lacks.
FALLBACK_PATH = FONT_DIR / "HanaMinB.ttf"
FALLBACK_LICENSE_PATH = FONT_DIR / "HanaMin-COPYRIGHT.txt"

# Names under which the faces are registered with reportlab (a process-wide registry).
FAMILY = "CertificateSerif"
REGULAR = "CertificateSerif-Regular"
BOLD = "CertificateSerif-Bold"
FALLBACK = "CertificateSerif-Fallback"

_lock = threading.Lock()
_registered: dict[str, TTFont] = {}
# Categories that never print a glyph of their own even where the font maps them: controls, format
# characters (zero-width space and joiners, direction marks), line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def register_fonts() -> tuple[str, str]:
    """Load both faces once per process (about 0.1 s) and return (regular, bold) font names."""
    if len(_registered) < 2:
        with _lock:
            if len(_registered) < 2:
                # asciiReadable=False: ASCII gets no reserved slots, so subsets hold only the glyphs used.
                for name, path in ((REGULAR, REGULAR_PATH), (BOLD, BOLD_PATH)):
                    font = TTFont(name, str(path), asciiReadable=False)
                    pdfmetrics.registerFont(font)
                    _registered[name] = font
                pdfmetrics.registerFontFamily(FAMILY, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def register_fallback() -> str:
    """Load the fallback face (about 0.1 s), only when a text needs it, and return its font name."""
    if FALLBACK not in _registered:
        with _lock:
            if FALLBACK not in _registered:
                font = TTFont(FALLBACK, str(FALLBACK_PATH), asciiReadable=False)
                pdfmetrics.registerFont(font)
                _registered[FALLBACK] = font
    return FALLBACK


@cache
def font_characters() -> frozenset[int]:
    """Code points that both main faces can draw."""
    register_fonts()
    regular, bold = (_registered[name].face.charToGlyph for name in (REGULAR, BOLD))
    return frozenset(code for code in regular if code in bold)


@cache
def fallback_characters() -> frozenset[int]:
    """Code points the fallback face draws and the main faces do not."""
    register_fallback()
    main = font_characters()
    return frozenset(code for code in _registered[FALLBACK].face.charToGlyph if code not in main)


def runs(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (part, needs the fallback face) runs; one run for text the main faces cover."""
    covered = font_characters()
    if all(ord(char) in covered for char in text):
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    for char in text:
        fallback = ord(char) not in covered
        if out and out[-1][1] == fallback:
            out[-1] = (out[-1][0] + char, fallback)
        else:
            out.append((char, fallback))
    return out


def unprintable_characters(text: str) -> list[str]:
    """Distinct characters of `text` that the certificate font cannot print, in order of first appearance.

    Ordinary spaces are fine. Variation selectors count as unprintable: reportlab cannot apply them, so the
    requested glyph variant would not be the one printed.
    """
    covered = font_characters()
    missing: list[str] = []
    for char in text:
        if char == " " or char in missing:
            continue
        if unicodedata.category(char) in _INVISIBLE or (
            ord(char) not in covered and ord(char) not in fallback_characters()
        ):
            missing.append(char)
    return missing


# ---------------------------------------------------------------- measuring and breaking lines

_CLOSING = frozenset("，。、；：？！）》」』】〕,.;:?!)]}%")
_OPENING = frozenset("（《「『【〔([{")
_CLOSING_BRACKETS = frozenset("）》」』】〕)]}")
_BREAK_AFTER = frozenset(" -/")


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Units a line break may not split: Latin words (a break may follow a space, hyphen or slash), single
    CJK characters, punctuation kept with its neighbour, and a bracketed part such as （宜昌） kept whole
    (unless it is longer than a line, see `wrap`)."""
    tokens: list[str] = []
    depth = 0
    for char in text:
        if tokens and (
            depth > 0
            or char in _CLOSING
            or char == " "
            or tokens[-1][-1] in _OPENING
            or not (_is_wide(char) or _is_wide(tokens[-1][-1]) or tokens[-1][-1] in _BREAK_AFTER)
        ):
            tokens[-1] += char
        else:
            tokens.append(char)
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING_BRACKETS and depth > 0:
            depth -= 1
    return tokens


class _Measure:
    """Widths in ems (font size 1) from the face's advance widths, without reportlab's per-call overhead."""

    def __init__(self, font: str) -> None:
        register_fonts()
        face = _registered[font].face
        self.widths: dict[int, float] = face.charWidths
        self.default: float = face.defaultWidth

    def __call__(self, text: str) -> float:
        get = self.widths.get
        return sum(get(ord(char)) or _fallback_width(char) for char in text) / 1000


def _fallback_width(char: str) -> float:
    """Advance width of a character only the fallback face has (they are all ideographs, one em wide)."""
    register_fallback()
    return float(_registered[FALLBACK].face.charWidths.get(ord(char), 1000))


@cache
def _measure(font: str) -> _Measure:
    return _Measure(font)


def text_width(text: str, font: str, size: float) -> float:
    """Width in points of `text` set in a registered certificate face."""
    return _measure(font)(text) * size


Unit = tuple[str, float, float]  # text, width in ems, width without trailing spaces


@lru_cache(maxsize=512)
def _units(text: str, font: str) -> tuple[tuple[Unit, tuple[Unit, ...]], ...]:
    """Each token measured, with its characters measured too in case it has to be broken inside."""
    measure = _measure(font)
    out = []
    for token in _tokens(text):
        chars = tuple((char, measure(char), measure(char.rstrip())) for char in token)
        out.append(((token, measure(token), measure(token.rstrip())), chars))
    return tuple(out)


def _greedy(units: list[Unit], limit: float) -> list[str]:
    """Fill lines up to `limit` ems."""
    lines: list[str] = []
    current, width = "", 0.0
    for text, full, trimmed in units:
        if current and width + trimmed > limit:
            lines.append(current.rstrip())
            current, width = "", 0.0
        current += text
        width += full
    if current:
        lines.append(current.rstrip())
    return lines


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width` points, as evenly filled as the allowed breaks permit."""
    limit = width / size
    units: list[Unit] = []
    for unit, chars in _units(text, font):
        # A word or address longer than the line is broken between any two of its characters.
        units.extend([unit] if unit[2] <= limit else chars)
    lines = _greedy(units, limit)
    if len(lines) < 2:
        return lines
    low, high = limit / len(lines), limit
    for _ in range(10):  # the narrowest measure giving as few lines: balanced rather than ragged
        middle = (low + high) / 2
        if len(_greedy(units, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return _greedy(units, high)


def fit(text: str, font: str, sizes: Sequence[float], width: float, max_lines: int) -> tuple[float, list[str]]:
    """The largest of `sizes` (descending) at which `text` fits on one line, else on the fewest lines up to
    `max_lines`; past that, the smallest size and as many lines as it takes."""
    for lines_allowed in range(1, max_lines + 1):
        for size in sizes:
            lines = wrap(text, font, size, width)
            if len(lines) <= lines_allowed:
                return size, lines
    return sizes[-1], wrap(text, font, sizes[-1], width)
