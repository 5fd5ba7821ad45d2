"""The documentation site: it builds in strict mode, its API pages list every public name,
and every ```python block of every page runs (a page's blocks in order, in one namespace;
`<!-- skip: reason -->` on the line before a block skips it, and says why).

Runs on one backend (`RUN_ON_ONE_BACKEND` in conftest.py): the pages' examples use public
APIs whose backend paths are tested per backend elsewhere; the build reads source only.
"""

import glob
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.harness import REPO_ROOT

DOCS = os.path.join(REPO_ROOT, "docs")
SKIP = re.compile(r"<!--\s*skip:\s*(.*?)\s*-->")
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _pages():
    pages = sorted(glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True))
    return [os.path.relpath(p, REPO_ROOT).replace(os.sep, "/") for p in pages]


def python_blocks(text):
    """`[(line, code, skip reason or None)]` of a page's ```python blocks, in order."""
    blocks = []
    for match in BLOCK.finditer(text):
        if match.group(1) != "python":
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.fullmatch(before.strip())
        blocks.append((text[: match.start()].count("\n") + 1, match.group(2), skip.group(1) if skip else None))
    return blocks


def _load_api_pages():
    spec = importlib.util.spec_from_file_location("api_pages", os.path.join(REPO_ROOT, "scripts", "api_pages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_blocks_parser_reads_order_and_skips():
    text = "a\n\n```python\nx = 1\n```\n\n<!-- skip: needs ADE20K -->\n```python\nboom()\n```\n```bash\nls\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n", None), (8, "boom()\n", "needs ADE20K")]


def test_every_skip_comment_gives_a_reason_and_precedes_a_python_block():
    problems = []
    for page in _pages():
        text = _read(os.path.join(REPO_ROOT, page))
        skipped = sum(1 for _, _, reason in python_blocks(text) if reason is not None)
        comments = SKIP.findall(text)
        if skipped != len(comments) or not all(comments):
            problems.append(page)
    assert not problems, f"a `<!-- skip: reason -->` line must come right before a ```python block: {problems}"


def test_api_pages_list_every_public_name_and_are_up_to_date():
    api_pages = _load_api_pages()
    stale = []
    for name, text in api_pages.pages().items():
        path = os.path.join(DOCS, "api", name)
        if not os.path.exists(path) or _read(path) != text:
            stale.append(name)
    assert not stale, f"docs/api/{stale} out of date: run `make api-pages` (scripts/api_pages.py)"
    # Every namespace keras_rr/__init__.py imports (`from keras_rr import data`, ...) has a page.
    loaded = set(re.findall(r"^from keras_rr import (\w+)", _read(os.path.join(REPO_ROOT, "keras_rr", "__init__.py")),
                            re.MULTILINE))
    assert {"models", "layers", "losses", "ops"} <= loaded, loaded
    documented = {namespace.split(".")[1] for namespace, _ in api_pages.NAMESPACES}
    assert loaded - {"version"} <= documented, loaded - documented
    assert "RegionRebalanceSegmenter" in _read(os.path.join(DOCS, "api", "models.md"))


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="the `docs` extra is not installed")
def test_site_builds_offline_in_strict_mode(tmp_path):
    # What `make docs` runs; a broken link, anchor, reference or docstring fails the build.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "models.html").read_text(encoding="utf-8")
    assert 'id="keras_rr.models.RegionRebalanceSegmenter"' in api
    assert (tmp_path / "site" / "images" / "rr_branch.png").exists()


CODE_PAGES = [page for page in _pages() if not page.startswith("docs/api/")
              and any(reason is None for _, _, reason in python_blocks(_read(os.path.join(REPO_ROOT, page))))]


@pytest.mark.parametrize("page", CODE_PAGES)
def test_page_code_blocks_run(page, tmp_path, monkeypatch):
    # In a fresh folder, so whatever an example writes lands in tmp_path.
    monkeypatch.chdir(tmp_path)
    text = _read(os.path.join(REPO_ROOT, page))
    namespace = {"__name__": "__docs__"}
    for line, code, reason in python_blocks(text):
        if reason is None:
            exec(compile(code, f"{page}:{line}", "exec"), namespace)  # noqa: S102 - running the page is the test


def test_pages_exist_for_every_nav_entry_and_the_stubs_owners_replace():
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$", _read(os.path.join(REPO_ROOT, "mkdocs.yml")), re.MULTILINE)
    assert len(nav) > 20
    missing = [p for p in nav if not os.path.exists(os.path.join(DOCS, p))]
    assert not missing, missing
    unlisted = sorted({p[len("docs/"):] for p in _pages()} - set(nav))
    assert not unlisted, f"pages missing from mkdocs.yml's nav: {unlisted}"
