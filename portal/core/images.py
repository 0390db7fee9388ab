"""Uploaded images: the type is read from the content (Pillow must open it), the size is
limited, and what we keep is re-encoded (invariant 7), so no EXIF or hidden payload survives."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.core.errors import Invalid

PHOTO_MAX_BYTES = 3 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # far above any camera's photo; refuses decompression bombs early
PHOTO_SIDE = 400


def identity_photo(data: bytes, *, field: str = "photo") -> bytes:
    """`data` as a JPEG of at most 400×400, upright (EXIF orientation applied, then dropped).

    Raises `Invalid` (on `field`) for an empty or oversized file, or one Pillow cannot read as
    an image, whatever its name or announced type.
    """
    if not data:
        raise Invalid(_("Choisissez un fichier image."), field)
    if len(data) > PHOTO_MAX_BYTES:
        raise Invalid(_("Cette photo est trop lourde (3 Mo au plus)."), field)
    try:
        with Image.open(BytesIO(data)) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise Invalid(_("Cette image est trop grande."), field)
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise Invalid(_("Ce fichier n'est pas une image lisible (JPEG, PNG ou WebP)."), field) from None
    upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = BytesIO()
    upright.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
