"""The committed figures in images/ are exactly what scripts/make_images.py draws, and each is used.

If a test here fails after a deliberate change to a drawing, run `make images` and commit the PNGs.
"""

from __future__ import annotations

import pytest

import make_images
from conftest import NOTEBOOKS, REPO_ROOT

IMAGES_DIR = REPO_ROOT / "images"
NAMES = sorted(make_images.DRAWINGS)


def test_every_committed_image_is_drawn_by_the_script():
    committed = sorted(p.name for p in IMAGES_DIR.glob("*.png"))
    assert committed == NAMES, f"images/ holds {committed}, scripts/make_images.py draws {NAMES}"


@pytest.mark.parametrize("name", NAMES)
def test_committed_image_matches_a_fresh_drawing(name, tmp_path):
    fresh = make_images.DRAWINGS[name](tmp_path / name)
    committed = IMAGES_DIR / name
    assert committed.exists(), f"images/{name} is missing: run `make images`"
    assert fresh.read_bytes() == committed.read_bytes(), (
        f"images/{name} differs from what scripts/make_images.py draws now: run `make images` and commit it"
    )


@pytest.mark.parametrize("name", NAMES)
def test_image_is_shown_by_a_notebook(name):
    link = f"](../images/{name})"
    users = [p.name for p in NOTEBOOKS if link in p.read_text(encoding="utf-8")]
    assert users, f"no notebook shows images/{name} (expected a markdown cell with ![...](../images/{name}))"
