"""The Simplified Chinese catalogue is complete: every entry translated, none fuzzy, placeholders kept.

The .po file is read with a small parser written here (no polib), compiled with GNU msgfmt and loaded
with the standard library's gettext. No database is needed.

After changing a translatable string, update and compile the catalogue:

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules \\
        --ignore=bench --ignore=staticfiles
    # translate the new or fuzzy entries in locale/zh_Hans/LC_MESSAGES/django.po, then
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

from __future__ import annotations

import gettext
import io
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# What `makemessages` skips (the same --ignore list as the documented command).
MAKEMESSAGES_IGNORE = [".venv", "node_modules", "bench", "staticfiles"]
# Product and technical names that may stay as they are.
UNTRANSLATED_ALLOWED = {"API"}

_CJK = re.compile(r"[\u3400-\u9fff]")
# A printf-style conversion as Python's % operator reads it; %% is a literal percent sign.
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid[:60]!r}"


def _unquote(token: str) -> str:
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise ValueError(f"not a quoted PO string: {token}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), token[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries of a PO file, header included (msgid ""); obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: tuple[str, int] | None = None
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current, key
        if current is not None:
            entries.append(current)
        current, key = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if current is None or key is None:
                raise ValueError(f"line {number}: continuation without a keyword")
            kind, index = key
            value = _unquote(line)
            if kind == "msgstr":
                current.msgstr[index] += value
            elif kind == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            elif kind == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            else:
                current.msgid += value
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise ValueError(f"line {number}: cannot read {raw!r}")
        keyword, index_text, quoted = match.groups()
        value = _unquote(quoted)
        # msgctxt opens an entry; so does msgid, unless it follows that entry's msgctxt.
        if keyword == "msgctxt" or (keyword == "msgid" and (key is None or key[0] != "msgctxt")):
            finish()
        if current is None:
            current = Entry(line=number, flags=pending_flags)
            pending_flags = set()
        if keyword == "msgctxt":
            current.msgctxt, key = value, ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid, key = value, ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural, key = value, ("msgid_plural", 0)
        else:
            index = int(index_text) if index_text is not None else 0
            current.msgstr[index], key = value, ("msgstr", index)
    finish()
    return entries


def _placeholders(text: str) -> tuple[set[str], list[str]]:
    """(named placeholders such as '%(name)s', the conversion types of the positional ones in order)."""
    named: set[str] = set()
    positional: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is not None:
            named.add(f"%({match['name']}){match['type']}")
        else:
            positional.append(match["type"])
    return named, positional


def _nplurals(header: Entry | None) -> int:
    found = re.search(r"nplurals\s*=\s*(\d+)", header.msgstr.get(0, "") if header else "")
    return int(found[1]) if found else 1


def catalogue_problems(entries: list[Entry]) -> list[str]:
    """Every reason the catalogue is not ready to ship; empty when it is."""
    problems: list[str] = []
    header = next((e for e in entries if e.msgid == "" and e.msgctxt is None), None)
    if header is None:
        problems.append("no header entry")
    else:
        if "fuzzy" in header.flags:
            problems.append("the header is fuzzy")
        if "charset=UTF-8" not in header.msgstr.get(0, ""):
            problems.append("the header does not declare charset=UTF-8")
    nplurals = _nplurals(header)
    for entry in entries:
        if entry is header:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label} is fuzzy")
        expected = set(range(nplurals)) if entry.msgid_plural is not None else {0}
        if set(entry.msgstr) != expected:
            problems.append(f"{entry.label} has msgstr forms {sorted(entry.msgstr)}, expected {sorted(expected)}")
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        source_named: set[str] = set()
        for source in sources:
            source_named |= _placeholders(source)[0]
        _, source_positional = _placeholders(entry.msgid)
        check_format = "python-format" in entry.flags or bool(source_named)
        for index in sorted(entry.msgstr):
            translation = entry.msgstr[index]
            if not translation.strip():
                problems.append(f"{entry.label} has no translation (msgstr[{index}])")
                continue
            if not _CJK.search(translation) and entry.msgid not in UNTRANSLATED_ALLOWED:
                problems.append(f"{entry.label} is not translated into Chinese: {translation!r}")
            if check_format:
                named, positional = _placeholders(translation)
                missing, extra = source_named - named, named - source_named
                if missing:
                    problems.append(f"{entry.label} loses {sorted(missing)} in msgstr[{index}]")
                if extra:
                    problems.append(f"{entry.label} adds unknown {sorted(extra)} in msgstr[{index}]")
                if positional != source_positional:
                    problems.append(f"{entry.label} changes positional placeholders in msgstr[{index}]")
    return problems


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    if path is None:
        pytest.skip("GNU gettext (msgfmt) is not installed; scripts/debian_deps.sh installs it")
    return path


def _compile(po: Path, mo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_msgfmt(), "--check", "-o", str(mo), str(po)], capture_output=True, text=True, check=False)


# --- The real catalogue -------------------------------------------------------------------


def test_catalogue_is_complete() -> None:
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    assert len(entries) > 100, "the parser found suspiciously few entries"
    problems = catalogue_problems(entries)
    assert not problems, "locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(problems)


def test_signup_wording() -> None:
    by_msgid = {e.msgid: e for e in parse_po(PO_PATH.read_text(encoding="utf-8"))}
    for msgid in ("Create your call center", "Create call center"):
        assert "创建" in by_msgid[msgid].msgstr[0]
        assert "呼叫中心" in by_msgid[msgid].msgstr[0]


def test_catalogue_compiles_and_translates(tmp_path: Path) -> None:
    mo = tmp_path / "django.mo"
    result = _compile(PO_PATH, mo)
    assert result.returncode == 0, result.stderr
    with mo.open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    assert catalogue.gettext("Create call center") == "创建呼叫中心"
    assert catalogue.ngettext("%(n)s seat", "%(n)s seats", 1) % {"n": 1} == "1 个席位"
    assert catalogue.ngettext("%(n)s seat", "%(n)s seats", 8) % {"n": 8} == "8 个席位"
    minutes = catalogue.ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        5,
    )
    assert minutes % {"minutes": 5} == "登录失败次数过多，请 5 分钟后再试。"


def test_catalogue_matches_the_source(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """makemessages over a copy of the source adds no entry the catalogue lacks a translation for."""
    from django.core.management import call_command

    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    skip = {*MAKEMESSAGES_IGNORE, "locale"}
    source = tmp_path / "src"
    source.mkdir()
    for item in BASE_DIR.iterdir():
        if item.name.startswith(".") or item.name in skip:
            continue
        if item.is_dir():
            shutil.copytree(item, source / item.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(item, source / item.name)
    locale_dir = source / "locale"
    (locale_dir / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy2(PO_PATH, locale_dir / "zh_Hans" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [locale_dir]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["zh_Hans"], ignore_patterns=MAKEMESSAGES_IGNORE, stdout=io.StringIO())

    updated = parse_po((locale_dir / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    problems = catalogue_problems(updated)
    assert not problems, (
        "The source has strings the catalogue does not translate. Run the makemessages command in the "
        "docstring of callcenter/core/tests/test_translations.py and translate them:\n" + "\n".join(problems)
    )


# --- The checks themselves can fail -----------------------------------------------------------

_HEADER = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

"""

_GOOD = (
    _HEADER
    + r"""#: templates/x.html:1
#, python-format
msgid "Hello, %(name)s"
msgstr "%(name)s，您好"

#, python-format
msgid "%(n)s seat"
msgid_plural "%(n)s seats"
msgstr[0] "%(n)s 个席位"

msgid ""
"A long message that "
"wraps \"quoted\""
msgstr ""
"一条很长的"
"消息"

msgid "API"
msgstr "API"

#~ msgid "Obsolete"
#~ msgstr ""
"""
)

_BAD = (
    _HEADER
    + r"""msgid "Empty"
msgstr ""

#, fuzzy
msgid "Guessed"
msgstr "猜测"

#, python-format
msgid "Hello, %(name)s"
msgstr "您好"

#, python-format
msgid "%(n)s seat"
msgid_plural "%(n)s seats"
msgstr[0] ""

#, python-format
msgid "Wait %(minutes)d minutes"
msgstr "请等待 %(minute)d 分钟"

msgid "Sign in"
msgstr "Sign in"

#, python-format
msgid "%d of %s"
msgstr "%s 中的 %d"
"""
)


def test_parser_reads_wrapped_plural_and_escaped_entries() -> None:
    entries = parse_po(_GOOD)
    assert [e.msgid for e in entries] == [
        "",
        "Hello, %(name)s",
        "%(n)s seat",
        'A long message that wraps "quoted"',
        "API",
    ]
    assert entries[1].flags == {"python-format"}
    assert entries[2].msgid_plural == "%(n)s seats" and entries[2].msgstr == {0: "%(n)s 个席位"}
    assert entries[3].msgstr == {0: "一条很长的消息"}
    assert catalogue_problems(entries) == []


def test_checker_reports_every_kind_of_problem() -> None:
    problems = "\n".join(catalogue_problems(parse_po(_BAD)))
    assert "'Empty' has no translation" in problems
    assert "'Guessed' is fuzzy" in problems
    assert "'Hello, %(name)s' loses ['%(name)s']" in problems
    assert "'%(n)s seat' has no translation (msgstr[0])" in problems
    assert "loses ['%(minutes)d']" in problems and "adds unknown ['%(minute)d']" in problems
    assert "'Sign in' is not translated into Chinese" in problems
    assert "'%d of %s' changes positional placeholders" in problems
    assert "the header is fuzzy" in "\n".join(catalogue_problems(parse_po("#, fuzzy\n" + _GOOD)))


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the catalogue exactly once"
    return text.replace(old, new)


def test_a_broken_copy_of_the_real_catalogue_fails(tmp_path: Path) -> None:
    broken = PO_PATH.read_text(encoding="utf-8")
    broken = _replace_once(broken, 'msgstr "%(name)s，您好"', 'msgstr "您好"')
    broken = _replace_once(
        broken, 'msgid "Create call center"\nmsgstr "创建呼叫中心"', 'msgid "Create call center"\nmsgstr ""'
    )
    broken = _replace_once(broken, 'msgid "Sign out"\n', '#, fuzzy\nmsgid "Sign out"\n')
    problems = "\n".join(catalogue_problems(parse_po(broken)))
    assert "'Hello, %(name)s' loses" in problems
    assert "'Create call center' has no translation" in problems
    assert "'Sign out' is fuzzy" in problems

    # msgfmt --check refuses the lost placeholder as well.
    po = tmp_path / "django.po"
    po.write_text(broken, encoding="utf-8")
    result = _compile(po, tmp_path / "django.mo")
    assert result.returncode != 0
    assert "argument 'name' doesn't exist in 'msgstr'" in result.stderr
