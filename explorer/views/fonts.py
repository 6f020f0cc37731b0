"""The font of every image drawn on this machine: a CJK font when one is installed, so Chinese is not drawn as boxes.

The browser draws the app's charts with the reader's own fonts, but exported images are drawn here: PIL draws the
raster PNGs (views.raster) and vl-convert draws Vega's SVG and PNG (io.rendering). Latin-only fonts (PIL's default,
DejaVu) draw a Chinese character as an empty box ("tofu"). cjk_font() finds a CJK font once:

1. a few known files: Debian/Ubuntu's fonts-noto-cjk (which .ci/run installs), Arch, Fedora, macOS, Windows;
2. fontconfig: `fc-match` for a face that covers Simplified Chinese (checked, since fc-match always answers).

Noto Sans CJK also holds Latin, kana and Hangul, so one face draws every label. Without a CJK font, labels use
PIL's default font (Latin only: Chinese shows as boxes) and cjk_font() warns once with what to install.
"""

from __future__ import annotations

import subprocess
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

# Font collections known to hold a Simplified Chinese face, most common first.
KNOWN_CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: apt install fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-sans-cjk-fonts
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian, Ubuntu: fonts-wqy-zenhei
    "/System/Library/Fonts/Hiragino Sans GB.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
)
# fontconfig patterns, tried in order: the font .ci/run installs, then whatever covers Simplified Chinese.
FC_PATTERNS = ("Noto Sans CJK SC:lang=zh-cn", "sans-serif:lang=zh-cn")
SIMPLIFIED_HINTS = (" SC", " GB", "YaHei", "Zen Hei")  # family names of the Simplified Chinese face of a collection
MISSING_NOTE = (
    "No CJK font found: Chinese, Japanese and Korean text in exported images will show as empty boxes. "
    "Install one (Debian/Ubuntu: `apt install fonts-noto-cjk`) and restart."
)


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: the file, the face's index inside a .ttc collection, and its family name."""

    path: Path
    index: int
    family: str  # as the font names itself ("Noto Sans CJK SC"): what Vega's `font` config asks for


def _faces(path: Path) -> list[tuple[int, str]]:
    """(index, family) of every face in a font file (a .ttc holds several; a .ttf or .otf one)."""
    from PIL import ImageFont

    faces = []
    for index in range(32):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:  # past the last face, or not a font FreeType reads
            break
        faces.append((index, family))
    return faces


def _simplified_face(path: Path) -> FontFace | None:
    """The Simplified Chinese face of a known CJK file (else its first face); None if the file is no font."""
    faces = _faces(path)
    if not faces:
        return None
    index, family = next(((i, f) for i, f in faces if any(h in f for h in SIMPLIFIED_HINTS)), faces[0])
    return FontFace(path, index, family)


def _fontconfig_face(pattern: str) -> FontFace | None:
    """fontconfig's best match for `pattern`, if that face really covers Simplified Chinese."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}\n%{family[0]}\n%{lang}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):  # no fontconfig on this machine
        return None
    parts = out.split("\n")
    if len(parts) < 4 or "zh-cn" not in parts[3].split("|") or not Path(parts[0]).is_file():
        return None  # fc-match always answers: here with a font that has no Chinese
    return FontFace(Path(parts[0]), int(parts[1] or 0), parts[2])


@lru_cache(maxsize=1)
def cjk_font() -> FontFace | None:
    """The CJK face exported images draw their text with (found once per process); None, with a warning, if none."""
    for file in KNOWN_CJK_FILES:
        if Path(file).is_file() and (face := _simplified_face(Path(file))) is not None:
            return face
    for pattern in FC_PATTERNS:
        if (face := _fontconfig_face(pattern)) is not None:
            return face
    warnings.warn(MISSING_NOTE, RuntimeWarning, stacklevel=2)
    return None


def label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A PIL font of `size` pixels for image labels: the CJK face when there is one, else PIL's default (Latin)."""
    from PIL import ImageFont

    face = cjk_font()
    if face is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(face.path), size, index=face.index)  # ~0.4 ms: opened per image, not shared


def chart_font() -> str | None:
    """The CSS font family for Vega's `font` config in rendered charts ('"Noto Sans CJK SC", sans-serif'), or None.

    Named first, the CJK face draws every label: a bare "sans-serif" leaves a Chinese character to whichever font
    vl-convert falls back to (a serif one, or none: a box).
    """
    face = cjk_font()
    return None if face is None else f'"{face.family}", sans-serif'
