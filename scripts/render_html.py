"""Render the series to static HTML for reading without running anything (`make html`).

    python scripts/render_html.py [--out build/html]

Every numbered notebook becomes one page (nbconvert's "lab" template, stored outputs as they are
in the repository: nothing is executed). Images are embedded as data URIs: plot outputs already
are, and the figures markdown cells show from ../images/ are inlined here. Each page ends with
links to the previous page, the index and the next page; links between notebooks point to their
pages, and other relative links (helper files, the README) point back into the repository.

Maths ($...$ and $$...$$ in markdown cells) is typeset in the browser by MathJax 3, from a copy
in mathjax/ beside the pages (one file, from the django-static-mathjax package), never from a CDN:
the edition reads the same from disk without a network and when hosted. A page copied without
the mathjax/ folder still reads, showing the maths as TeX source.

index.html lists the notebooks in reading order with their CPU run time, read from each notebook's
opening ("**Time:** ... N s to run on a CPU"), the one place a run time is written.
"""

from __future__ import annotations

import argparse
import base64
import html
import mimetypes
import os
import re
import shutil
import sys
import time
from importlib import metadata, resources
from pathlib import Path

from notebook_runner import NOTEBOOK_DIR, REPO_ROOT, series_notebooks, stated_run_time, title_of

DEFAULT_OUT = REPO_ROOT / "build" / "html"

NOTEBOOK_NAME = re.compile(r"\d\d_[a-z0-9_]+")
IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
HREF = re.compile(r"""(\bhref=)(["'])(.*?)\2""", re.IGNORECASE)

#: MathJax 3 as one file: TeX input with every extension, SVG output (no font files to load).
MATHJAX_PACKAGE = "django-static-mathjax"
MATHJAX_FILE = "tex-svg-full.js"
MATHJAX_SRC = f"mathjax/{MATHJAX_FILE}"
# nbconvert's template loads MathJax 2 from a CDN between these two comments; render() puts this in its place.
MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
MATHJAX_HEAD = f"""<!-- MathJax 3 from mathjax/ beside this page (no network needed) -->
<script>
window.MathJax = {{
  tex: {{inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true}},
  svg: {{fontCache: "global"}}
}};
</script>
<script defer src="{MATHJAX_SRC}"></script>"""


def copy_mathjax(out_dir: Path) -> Path:
    """Copy MathJax (and its licence) into ``out_dir/mathjax``; return the script's path there."""
    try:
        version = metadata.version(MATHJAX_PACKAGE)
        folder = resources.files("mathjax") / "static" / "mathjax"
    except (metadata.PackageNotFoundError, ModuleNotFoundError):
        raise RuntimeError(f"the reading edition typesets its maths with MathJax from the package {MATHJAX_PACKAGE}, "
                           "which is not installed: `make html` installs it with the maintainers' packages") from None
    target = out_dir / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for name, source in ((MATHJAX_FILE, folder / "es5" / MATHJAX_FILE), ("LICENSE", folder / "LICENSE")):
        with resources.as_file(source) as path:
            shutil.copyfile(path, target / name)
    (target / "VERSION").write_text(f"{MATHJAX_PACKAGE} {version}\n", encoding="utf-8")
    return target / MATHJAX_FILE


def use_local_mathjax(page: str, name: str, require_js_url: str) -> str:
    """Replace the template's MathJax from a CDN with the copy in mathjax/; drop require.js, from a CDN too.

    require.js serves interactive widget outputs, which the stored notebooks do not keep (their state is
    dropped when outputs are regenerated); without it a page loads nothing from the network.
    """
    page, found = MATHJAX_BLOCK.subn(lambda _: MATHJAX_HEAD, page)
    if found != 1:
        raise ValueError(f"{name}: nbconvert's MathJax block not found once ({found} times): has the template changed?")
    return page.replace(f'<script src="{require_js_url}"></script>', "", 1)


def data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def embed_local_images(page: str, base: Path, name: str) -> str:
    """Inline every <img src> that is a local file (raw HTML in markdown, anything nbconvert left)."""

    def inline(match: re.Match) -> str:
        src = html.unescape(match.group(3))
        if src.startswith(("data:", "http://", "https://", "//")):
            return match.group(0)
        path = (base / src.split("?")[0].split("#")[0]).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{name}: image {src} not found (looked for {path})")
        return f"{match.group(1)}{match.group(2)}{data_uri(path)}{match.group(2)}"

    return IMG_SRC.sub(inline, page)


def rewrite_links(page: str, series: set[str], repo_prefix: str) -> str:
    """Links to notebooks of the series go to their pages; other relative links back into the repo."""

    def fix(match: re.Match) -> str:
        target = match.group(3)
        if not target or target.startswith(("#", "data:", "mailto:")) or re.match(r"^[a-z][a-z0-9+.-]*:", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        stem = Path(path).stem
        if path.endswith(".ipynb") and stem in series and "/" not in path.replace("./", ""):
            new = f"{stem}.html" + (f"#{anchor}" if anchor else "")
        elif path.startswith("/"):
            return match.group(0)
        else:
            new = repo_prefix + target
        return f"{match.group(1)}{match.group(2)}{new}{match.group(2)}"

    return HREF.sub(fix, page)


def title_html(title: str) -> str:
    """A title for HTML: escaped, with markdown `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(title, quote=False))


def nav_bar(prev_page: tuple[str, str] | None, next_page: tuple[str, str] | None) -> str:
    parts = []
    if prev_page:
        parts.append(f'<a class="nav-prev" rel="prev" href="{prev_page[0]}">&larr; {title_html(prev_page[1])}</a>')
    parts.append('<a class="nav-index" href="index.html">Index</a>')
    if next_page:
        label = f"Next: {title_html(next_page[1])} &rarr;"
        parts.append(f'<a class="nav-next" rel="next" href="{next_page[0]}">{label}</a>')
    else:
        parts.append('<span class="nav-end">The end of the series</span>')
    return (
        '<nav class="series-nav" style="display:flex;gap:2em;justify-content:space-between;'
        'max-width:60em;margin:2em auto;padding:1em;border-top:1px solid #ccc;font-family:sans-serif">'
        + "".join(parts) + "</nav>\n"
    )


def index_page(rows: list[dict]) -> str:
    items = "\n".join(
        f'<tr><td>{r["number"]}</td><td><a href="{r["page"]}">{title_html(r["title"])}</a></td>'
        f'<td>{html.escape(r["run_time"])}</td></tr>'
        for r in rows
    )
    first = (f'<p><a rel="next" href="{rows[0]["page"]}">Start reading: {title_html(rows[0]["title"])} &rarr;</a></p>'
             if rows else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Learn PyTorch: the notebook series</title>
<style>
body {{ font-family: sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; }}
</style>
</head>
<body>
<h1>Learn PyTorch: the notebook series</h1>
<p>The notebooks in reading order, rendered with their stored outputs. The run time is what each takes on a CPU.</p>
<table id="notebooks">
<thead><tr><th>#</th><th>Notebook</th><th>CPU run time</th></tr></thead>
<tbody>
{items}
</tbody>
</table>
{first}
</body>
</html>
"""


def render(out_dir: Path = DEFAULT_OUT, paths: list[Path] | None = None, repo_url: str | None = None) -> list[dict]:
    """Render ``paths`` (default: every notebook) and index.html into ``out_dir``; return the index rows.

    Links to the repository's other files (helpers, solutions, the README) are relative, for reading from
    disk inside the checkout; the hosted site has only the pages, so there ``repo_url`` (the repository's
    files on the forge at this commit, e.g. ``https://github.com/OWNER/REPO/blob/SHA``) replaces the checkout.
    """
    import nbformat
    from nbconvert import HTMLExporter

    paths = paths if paths is not None else series_notebooks()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out_dir)
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    if repo_url:
        repo_prefix = repo_url.rstrip("/") + "/notebooks/"
    else:
        try:
            repo_prefix = Path(*[".."] * len(out_dir.resolve().relative_to(REPO_ROOT).parts)).as_posix() + "/notebooks/"
        except ValueError:  # rendering outside the repository (a test's tmp dir): point at the absolute folder
            repo_prefix = NOTEBOOK_DIR.as_uri() + "/"

    loaded = [(path, nbformat.read(path, as_version=4)) for path in paths]
    rows = [
        {
            "number": path.stem[:2],
            "name": path.stem,
            "page": f"{path.stem}.html",
            "title": title_of(nb) or path.stem,
            "run_time": stated_run_time(nb) or "n/a",
        }
        for path, nb in loaded
    ]
    series = {row["name"] for row in rows}
    for i, ((path, nb), row) in enumerate(zip(loaded, rows)):
        resources = {"metadata": {"path": str(path.parent), "name": row["title"].replace("`", "")}}
        page, _ = exporter.from_notebook_node(nb, resources=resources)
        page = use_local_mathjax(page, path.name, exporter.require_js_url)
        page = embed_local_images(page, path.parent, path.name)
        page = rewrite_links(page, series, repo_prefix)
        prev_page = (rows[i - 1]["page"], rows[i - 1]["title"]) if i > 0 else None
        next_page = (rows[i + 1]["page"], rows[i + 1]["title"]) if i + 1 < len(rows) else None
        page = page.replace("</body>", nav_bar(prev_page, next_page) + "</body>", 1)
        (out_dir / row["page"]).write_text(page, encoding="utf-8")
    (out_dir / "index.html").write_text(index_page(rows), encoding="utf-8")
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default build/html)")
    parser.add_argument("--repo-url", default=os.environ.get("SERIES_REPO_URL") or None,
                        help="where links to the repository's files point on a hosted site (default: "
                             "$SERIES_REPO_URL, else relative links into this checkout)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = render(args.out, repo_url=args.repo_url)
    size = sum(p.stat().st_size for p in Path(args.out).glob("*.html"))
    print(f"rendered {len(rows)} notebooks and index.html into {args.out} "
          f"({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
