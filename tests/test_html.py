"""The rendered HTML edition (`make html`, scripts/render_html.py).

The series is rendered once into a temporary folder; the tests then check the index (every
notebook, in reading order, with its run time), that every page is self-contained (each image
a data URI, the figures from images/ byte for byte), the previous/next links, and the maths:
typeset by the MathJax copy beside the pages, with nothing fetched from the network (in
Chromium, offline, where it is installed).
"""

from __future__ import annotations

import base64
import html
import os
import re
from html.parser import HTMLParser
from importlib import metadata

import nbformat
import pytest

import render_html
from conftest import NOTEBOOKS, REPO_ROOT

pytestmark = pytest.mark.slow  # renders all 14 notebooks (several seconds)


class Tags(HTMLParser):
    """Collects the attributes of every <img>, <a> and <script> in a page."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.scripts = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "a":
            self.links.append(dict(attrs))
        elif tag == "script":
            self.scripts.append(dict(attrs))


def parse(path):
    tags = Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")


def mathjax_missing() -> str | None:
    try:
        metadata.version(render_html.MATHJAX_PACKAGE)
    except metadata.PackageNotFoundError:
        return f"{render_html.MATHJAX_PACKAGE} (MathJax, with the maintainers' packages) is not installed"
    return None


@pytest.fixture(scope="module")
def needs_mathjax():
    """Rendering copies MathJax: without it, skip and say why (under CI, fail)."""
    missing = mathjax_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {missing}: the reading edition cannot typeset its maths")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def edition(needs_mathjax, tmp_path_factory):
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
                   and "/solutions/" not in h  # the solutions are not pages of the edition: they stay notebooks
                   and (REPO_ROOT / "notebooks" / h.rsplit("/", 1)[-1]).exists()]
        assert not missing, f"{name}: links to notebooks of the series not rewritten to pages: {missing}"


def test_raw_html_images_are_inlined_and_a_missing_figure_fails(needs_mathjax, tmp_path):
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


# Maths the reader must see typeset (07 showed `$n \sigma^2 / 2$` as raw text before).
MATHS = {
    "07_weight_initialisation": [r"$n \sigma^2 / 2$", r"$$\operatorname{Var}(y_i) = n\,\sigma^2\, v .$$"],
    "02_autograd": [r"$\frac{d}{dy}(y \cdot y)$", r"$\partial\,\text{out} / \partial x_i$"],
}


def test_every_page_loads_mathjax_from_beside_it_and_nothing_from_the_network(edition):
    out, _ = edition
    script = out / render_html.MATHJAX_SRC
    assert script.is_file() and script.stat().st_size > 1_000_000, "MathJax was not copied beside the pages"
    assert (script.parent / "LICENSE").is_file(), "MathJax's licence (Apache 2.0) travels with it"
    for path in NOTEBOOKS:
        page = out / f"{path.stem}.html"
        text = page.read_text(encoding="utf-8")
        sources = [tag["src"] for tag in parse(page).scripts if tag.get("src")]
        assert sources == [render_html.MATHJAX_SRC], f"{page.name}: scripts loaded: {sources}"
        assert (page.parent / sources[0]).is_file()
        assert "MathJax.Hub" not in text and "require.js" not in text, f"{page.name}: the CDN's MathJax 2 is back"
        assert 'inlineMath: [["$", "$"]' in text and 'displayMath: [["$$", "$$"]' in text, f"{page.name}: $ not set"
        assert 'class="jp-Mermaid' not in text, f"{page.name}: a mermaid diagram would load mermaid from a CDN"


def test_the_maths_reaches_the_page_for_mathjax(edition):
    """nbconvert keeps $...$ as written (HTML-escaped) in the text MathJax reads, not in <code> or <pre>."""
    out, _ = edition
    for name, formulas in MATHS.items():
        text = (out / f"{name}.html").read_text(encoding="utf-8")
        nb = nbformat.read(REPO_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
        for formula in formulas:
            assert formula in markdown, f"{name}: the notebook no longer has {formula} (update MATHS)"
            escaped = html.escape(formula, quote=False)
            assert escaped in text, f"{name}.html: {formula} is not in the page as MathJax needs it"
            before = text[:text.index(escaped)]
            assert before.count("<code") == before.count("</code>") and before.count("<pre") == before.count("</pre>")


def test_a_missing_mathjax_is_a_clear_error(tmp_path, monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(render_html.metadata, "version", not_installed)
    with pytest.raises(RuntimeError, match="MathJax from the package django-static-mathjax, which is not installed"):
        render_html.copy_mathjax(tmp_path)


def test_the_maths_is_typeset_offline_in_chromium(edition):
    """Opened from disk with the network off, as a reader without a connection would: every formula is typeset."""
    from test_browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, under_ci

    missing = browser_missing()
    if missing:
        if under_ci():
            pytest.fail(f"CI is set and {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    out, _ = edition
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)
        for path in NOTEBOOKS:
            page, fetched, errors = context.new_page(), [], []
            page.on("request", lambda request, fetched=fetched: fetched.append(request.url))
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            page.goto((out / f"{path.stem}.html").as_uri())
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
            seen = page.evaluate(r"""() => ({
                typeset: document.querySelectorAll('mjx-container').length,
                failed: document.querySelectorAll('mjx-merror').length,
                raw: [...document.querySelectorAll('.jp-RenderedMarkdown')].map(e => e.innerText).join('\n')
                     .match(/\$[^$\n]{1,60}\$/g) || [],
            })""")
            name = path.stem
            assert not errors and not seen["failed"], f"{name}: MathJax errors {errors} {seen['failed']}"
            assert not seen["raw"], f"{name}: maths left as raw TeX: {seen['raw'][:5]}"
            assert all(url.startswith(("file:", "data:")) for url in fetched), f"{name}: fetched {fetched}"
            if name in MATHS:
                assert seen["typeset"] >= len(MATHS[name]), f"{name}: only {seen['typeset']} formulas typeset"
            page.close()
        browser.close()


def test_links_into_the_repository_go_to_the_forge_on_the_hosted_site(needs_mathjax, tmp_path):
    """From disk, relative links reach the checkout; the hosted site has only the pages, so they name the forge."""
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    markdown = "# A title\n\n[the solutions](solutions/00_probe.ipynb), [the README](../README.md)"
    path = nb_dir / "00_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)]), path)
    url = "https://github.com/OWNER/REPO/blob/0123abc"
    render_html.render(tmp_path / "site", paths=[path], repo_url=url)
    links = [a["href"] for a in parse(tmp_path / "site" / "00_probe.html").links]
    assert f"{url}/notebooks/solutions/00_probe.ipynb" in links and f"{url}/notebooks/../README.md" in links
    render_html.render(tmp_path / "disk", paths=[path])
    links = [a["href"] for a in parse(tmp_path / "disk" / "00_probe.html").links]
    assert not any(href.startswith(url) for href in links)
