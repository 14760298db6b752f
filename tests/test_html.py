"""The rendered HTML edition (`make html`, scripts/render_html.py).

The series is rendered once into a temporary folder; the tests then check the index (every
notebook, in reading order, with its run time), that every page is self-contained (each image
a data URI, the figures from images/ byte for byte) and the previous/next links.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import nbformat
import pytest

import render_html
from conftest import NOTEBOOKS, REPO_ROOT

pytestmark = pytest.mark.slow  # renders all 14 notebooks (several seconds)


class Tags(HTMLParser):
    """Collects the attributes of every <img> and <a> in a page."""

    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "a":
            self.links.append(dict(attrs))


def parse(path):
    tags = Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    rows = render_html.render(out, paths=list(NOTEBOOKS))
    return out, rows


def test_index_lists_every_notebook_in_reading_order_with_its_run_time(edition):
    out, rows = edition
    index = parse(out / "index.html")
    pages = [a["href"] for a in index.links if re.fullmatch(r"\d\d_[a-z0-9_]+\.html", a.get("href", ""))]
    expected = [f"{path.stem}.html" for path in NOTEBOOKS]
    assert list(dict.fromkeys(pages)) == expected, "index.html must link every notebook, in reading order"
    for row in rows:
        assert (out / row["page"]).is_file(), f"{row['page']} listed but not written"
        assert re.search(r"\d", row["run_time"]), f"{row['name']}: no run time (README table or opening line)"
        assert row["run_time"] in (out / "index.html").read_text(encoding="utf-8")


def test_every_page_has_its_images_embedded(edition):
    out, _ = edition
    for path in NOTEBOOKS:
        page = out / f"{path.stem}.html"
        images = parse(page).images
        for img in images:
            assert img.get("src", "").startswith("data:"), f"{page.name}: image not embedded: {img.get('src', '')[:80]}"
        assert 'src="../images/' not in page.read_text(encoding="utf-8")
        # Every figure a markdown cell shows is in the page, byte for byte; every plot output too.
        nb = nbformat.read(path, as_version=4)
        sources = {src.split("base64,", 1)[1] for img in images if "base64," in (src := img["src"])}
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for target in MARKDOWN_IMAGE.findall(cell.source):
                    if target.startswith(("http://", "https://", "attachment:")):
                        continue
                    data = base64.b64encode((path.parent / target).read_bytes()).decode("ascii")
                    assert data in sources, f"{page.name}: figure {target} is not embedded"
            elif cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    png = output.get("data", {}).get("image/png")
                    if png:
                        assert png.replace("\n", "") in sources, f"{page.name}: a plot output is missing"


def test_pages_link_to_the_next_and_previous_ones(edition):
    out, _ = edition
    pages = [f"{path.stem}.html" for path in NOTEBOOKS]
    for i, name in enumerate(pages):
        links = parse(out / name).links
        nexts = [a["href"] for a in links if a.get("rel") == "next"]
        prevs = [a["href"] for a in links if a.get("rel") == "prev"]
        assert nexts == (pages[i + 1:i + 2]), f"{name}: next link should be {pages[i + 1:i + 2]}, is {nexts}"
        assert prevs == (pages[i - 1:i] if i else []), f"{name}: previous link wrong: {prevs}"
        assert any(a.get("href") == "index.html" for a in links), f"{name}: no link back to the index"
        # Links between notebooks go to their pages, not to .ipynb files.
        to_notebooks = [a["href"] for a in links if a.get("href", "").endswith(".ipynb")]
        missing = [h for h in to_notebooks if re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", h.rsplit("/", 1)[-1])
                   and (REPO_ROOT / "notebooks" / h.rsplit("/", 1)[-1]).exists()]
        assert not missing, f"{name}: links to notebooks of the series not rewritten to pages: {missing}"


def test_raw_html_images_are_inlined_and_a_missing_figure_fails(tmp_path):
    """A figure written as raw <img> HTML is embedded too; a reference to a missing file is an error."""
    figure = tmp_path / "images" / "dot.png"
    figure.parent.mkdir()
    figure.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="))
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    markdown = '# A title\n\n![a dot](../images/dot.png)\n\n<img src="../images/dot.png" alt="raw">'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    path = nb_dir / "00_probe.ipynb"
    nbformat.write(nb, path)
    rows = render_html.render(tmp_path / "out", paths=[path])
    assert rows[0]["title"] == "A title" and rows[0]["run_time"] == "n/a"
    images = parse(tmp_path / "out" / "00_probe.html").images
    assert len(images) == 2 and all(img["src"].startswith("data:image/png;base64,") for img in images)

    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\n![gone](../images/gone.png)")])
    nbformat.write(broken, path)
    with pytest.raises(FileNotFoundError, match="gone.png"):
        render_html.render(tmp_path / "out2", paths=[path])
