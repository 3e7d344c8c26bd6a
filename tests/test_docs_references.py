"""Every file the package's code cites can be opened from the repository.

A citation is a path (``docs/conventions.md``, ``tuning/README.md``,
``legacy_tf1/mnist_nn_dropout.py``), a page by name (``conventions.md 2.6``,
``STYLE.md``: looked up in ``docs/``) or a seed file (``004_bed41145f0b74057.txt``:
listed in ``docs/seeds.md``). Folders the program writes at run time (``logs/``,
``tuning/runs/``, ``benchmarks/results``) and placeholders (``tuning/X.toml``) are not
citations.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = ("docs", "tests", "benchmarks", "tuning", "legacy_tf1", "tfcourse", "logs", "shared",
       "reference")
# A path from the repository root (or one leaving it with ../); other slashed names are
# placeholders ("directory/checkpoint.json") or other projects' files ("tensorflow/...").
PATH = re.compile(r"(?<![\w./-])((?:\.\./)+(?:[\w-]+/)*[\w.-]+\.(?:md|py|toml|txt|json)"
                  r"|(?:" + "|".join(TOP) + r")/(?:[\w-]+/)*[\w.-]+\.(?:md|py|toml|txt|json))\b")
PAGE = re.compile(r"(?<![\w./-])([\w-]+\.md)\b")
SEED = re.compile(r"\b(\d{3}_[0-9a-f]{16}\.txt)\b")
RUNTIME = ("logs/", "tuning/runs/", "benchmarks/results")


def citations():
    for source in sorted((ROOT / "tfcourse").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        where = source.relative_to(ROOT)
        for match in PATH.finditer(text):
            yield where, "path", match.group(1)
        for match in PAGE.finditer(text):
            yield where, "page", match.group(1)
        for match in SEED.finditer(text):
            yield where, "seed", match.group(1)


def unresolved() -> list[str]:
    seeds_page = (ROOT / "docs" / "seeds.md").read_text(encoding="utf-8")
    missing = []
    for where, kind, cited in citations():
        if kind == "path":
            if cited.startswith(RUNTIME) or re.search(r"/[A-Z]+\.toml$", cited):
                continue
            found = (ROOT / cited).exists() or (ROOT / "docs" / Path(cited).name).exists()
            # A path that leaves the repository is never a valid citation.
            found = found and not cited.startswith("../")
        elif kind == "page":
            found = (ROOT / "docs" / cited).exists() or (ROOT / cited).exists()
        else:
            found = f"`{cited}`" in seeds_page
        if not found:
            missing.append(f"{where}: {cited}")
    return missing


def test_every_cited_file_is_in_the_repository():
    assert list(citations()), "the scan found no citation at all"
    assert unresolved() == []


def test_the_scan_would_notice_a_missing_page(tmp_path, monkeypatch):
    fake = tmp_path / "tfcourse"
    fake.mkdir()
    (fake / "m.py").write_text('"""See nowhere.md and ../shared/reference/conventions.md and '
                               'docs/absent.md and 009_0000000000000000.txt."""\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conventions.md").write_text("")
    (tmp_path / "docs" / "seeds.md").write_text("")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert unresolved() == ["tfcourse/m.py: ../shared/reference/conventions.md",
                            "tfcourse/m.py: docs/absent.md", "tfcourse/m.py: nowhere.md",
                            "tfcourse/m.py: 009_0000000000000000.txt"]


def test_docs_conventions_has_the_sections_the_code_cites():
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)", text, flags=re.M))
    cited = set()
    for source in (ROOT / "tfcourse").rglob("*.py"):
        for match in re.finditer(r"conventions\.md,? (?:section )?(\d+(?:\.\d+)?)",
                                 source.read_text(encoding="utf-8")):
            cited.add(match.group(1))
    assert cited, "no section citations found"
    assert cited <= headings, sorted(cited - headings)
