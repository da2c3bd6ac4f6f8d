"""Draw the PWA icons (assets/icons/*.png) from the brand: the app's accent colour (#3E63DD,
the theme-color) with the CRM's mark, white. Run once when the brand changes:
``.venv/bin/python scripts/make_pwa_icons.py``."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ACCENT = (62, 99, 221, 255)
OUT = Path(__file__).resolve().parent.parent / "assets" / "icons"
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)


def _font(size: int) -> ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    image = Image.new("RGBA", (size, size), ACCENT if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:  # a rounded square; a maskable icon is cut by the launcher itself
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=ACCENT)
    # the mark: two hands meeting (two rounded bars) over the name
    s = size / 512
    safe = 0.8 if maskable else 1.0  # maskable: keep inside the 80 % safe zone
    cx, cy = size / 2, size / 2 - 40 * s * safe
    w, h = 150 * s * safe, 56 * s * safe
    draw.rounded_rectangle((cx - w, cy - h / 2, cx + 10 * s, cy + h / 2), radius=h / 2,
                           fill="white")
    draw.rounded_rectangle((cx - 10 * s, cy - h / 2 + 26 * s * safe, cx + w,
                            cy + h / 2 + 26 * s * safe), radius=h / 2,
                           fill=(255, 255, 255, 210))
    font = _font(int(118 * s * safe))
    text = "CRM"
    box = draw.textbbox((0, 0), text, font=font)
    draw.text((cx - (box[2] - box[0]) / 2, cy + 70 * s * safe), text, font=font, fill="white")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    icon(180).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
