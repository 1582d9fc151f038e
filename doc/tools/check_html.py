"""Every local link and image of the built HTML exists (offline check).

Usage: ``python doc/tools/check_html.py doc/_build/html``

Reads every page (``.html`` outside ``_static``) of the build and checks each
``href``, ``src`` and ``srcset`` that points into the site: the file must
exist, and a ``#fragment`` must be an ``id`` (or ``name``) in the target
page. External links (``http:``, ``https:``, ``mailto:``) are not followed;
there is no network. Exits with status 1 and lists what is missing.
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL = ("http", "https", "mailto", "ftp", "data", "javascript")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []  # (attribute, value)
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag != "base":
                self.links.append((f"<{tag} {name}>", value))
            elif name == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        self.links.append((f"<{tag} srcset>", candidate.split()[0]))


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def check(root):
    """``[(page, attribute, link, problem)]`` for every broken local link."""
    root = Path(root).resolve()
    cache, problems, checked = {}, [], 0
    for page_path in sorted(root.rglob("*.html")):
        if "_static" in page_path.relative_to(root).parts:
            continue  # theme templates copied as assets, not pages
        for attribute, link in _parse(page_path, cache).links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL or link.startswith("//"):
                continue
            checked += 1
            target = page_path
            if parts.path:
                target = (page_path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if root not in target.parents and target != root:
                problems.append((page_path, attribute, link, "points outside the site"))
            elif not target.exists():
                problems.append((page_path, attribute, link, "missing"))
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in _parse(target, cache).ids:
                    problems.append((page_path, attribute, link, "no such anchor"))
    return problems, checked, len(cache)


def main(argv):
    root = Path(argv[1] if len(argv) > 1 else "doc/_build/html")
    if not (root / "index.html").exists():
        print(f"check_html: no built site at {root}", file=sys.stderr)
        return 1
    problems, checked, pages = check(root)
    for page, attribute, link, problem in problems:
        print(f"{page.relative_to(root.resolve())}: {attribute} {link!r}: {problem}")
    print(
        f"check_html: {checked} local links and images in {pages} pages, "
        f"{len(problems)} broken"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
