"""Files sent with messages: the type is read from the content (a photo Pillow can open, or a
PDF), the size is limited, photos are re-encoded (EXIF, location included, dropped), and
everything is stored under FILES_DIR, never in static/ (DESIGN invariant 7)."""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.core.errors import Invalid
from portal.core.images import PHOTO_MAX_PIXELS

try:  # HEIC (iPhone photos) when the optional plugin is installed; without it Pillow refuses them
    from pillow_heif import register_heif_opener

    register_heif_opener()
    PHOTO_FORMATS = "JPEG, PNG, HEIC"
except ImportError:  # pragma: no cover - depends on the machine
    PHOTO_FORMATS = "JPEG, PNG"

FILE_MAX_BYTES = 10 * 1024 * 1024
FILE_MAX_LABEL = "10 Mo"
PHOTO_MAX_SIDE = 2000  # plenty for a photo of teeth on a screen; keeps stored files small


@dataclass(frozen=True)
class Upload:
    """A file as checked and ready to store: its bytes, a safe name and its real type."""

    data: bytes
    name: str
    mime: str


def _safe_name(name: str, extension: str) -> str:
    stem = Path(name or "").stem
    stem = re.sub(r"[^\w.\- ]+", "", stem, flags=re.UNICODE).strip(" .")[:80] or "piece-jointe"
    return f"{stem}.{extension}"


def check_file(data: bytes, filename: str, *, field: str = "attachment") -> Upload:
    """`data` as something we keep: a PDF as is (its header says so), an image re-encoded to JPEG
    of at most 2000 px, upright. Raises `Invalid` (on `field`) for an oversized file or one that
    is neither, whatever its name says."""
    shown = (filename or "").strip() or _("ce fichier")
    if len(data) > FILE_MAX_BYTES:
        raise Invalid(_("« %(name)s » est trop lourd (%(max)s au plus).", name=shown, max=FILE_MAX_LABEL), field)
    if data.startswith(b"%PDF-"):
        return Upload(data=data, name=_safe_name(filename, "pdf"), mime="application/pdf")
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise Invalid(_("« %(name)s » est une image trop grande.", name=shown), field)
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Invalid(_("« %(name)s » n'est ni une photo lisible (%(formats)s) ni un PDF : choisissez un "
                        "autre fichier.", name=shown, formats=PHOTO_FORMATS), field) from None
    upright.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = BytesIO()
    upright.save(out, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no trailing payload
    return Upload(data=out.getvalue(), name=_safe_name(filename, "jpg"), mime="image/jpeg")


def _root() -> Path:
    return Path(current_app.config["FILES_DIR"])


def store(practice_id: int, upload: Upload) -> str:
    """Write the file under FILES_DIR and return its key (a path relative to it). A random name:
    nothing about the patient in the path. If the caller's transaction rolls back, the file is
    left without a row: harmless, and cheaper than a two-phase dance."""
    extension = upload.name.rsplit(".", 1)[-1]
    key = f"messages/{int(practice_id)}/{uuid.uuid4().hex}.{extension}"
    path = _root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(upload.data)
    os.replace(tmp, path)  # readers never see half a file
    return key


def path_of(key: str) -> Path:
    """Where a stored file is. The key comes from our own rows, but it is checked to stay under
    FILES_DIR all the same."""
    root = _root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise ValueError("attachment key outside FILES_DIR")
    return path


def read(key: str) -> bytes:
    """The stored bytes of `key`."""
    return path_of(key).read_bytes()
