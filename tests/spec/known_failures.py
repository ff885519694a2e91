"""The checked-in lists of spec commands we know fail, and the two-way comparison.

One list per memory strategy (`known_failures/<strategy>.txt`), one entry per line:

    i32.wast:123 assert_return  # why it fails
    memory_grow.wast:* crash    # the whole file crashes the worker (or times out)

The lists may only shrink: a listed command that passes is as much an error as an
unlisted one that fails, so a fix cannot go unnoticed. Regenerate them with
`python -m tests.spec --update-known-failures`, never by hand-editing counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

LIST_DIR = Path(__file__).resolve().parent / "known_failures"
CRASH = "crash"  # the command-type word of a whole-file `file.wast:* crash` entry

_ENTRY = re.compile(r"^(?P<file>[^\s:]+\.wast):(?P<line>\d+|\*)\s+(?P<type>[\w-]+)\s*(?:#\s*(?P<reason>.*))?$")


def list_path(strategy: str) -> Path:
    return LIST_DIR / f"{strategy}.txt"


@dataclass
class KnownFailures:
    """Parsed list: command id → reason, plus the files expected to crash."""

    entries: dict[str, str] = field(default_factory=dict)  # "f.wast:12 assert_return" -> reason
    crashing: dict[str, str] = field(default_factory=dict)  # "f.wast" -> reason

    def for_file(self, file: str) -> "KnownFailures":
        prefix = file + ":"
        return KnownFailures(
            {k: v for k, v in self.entries.items() if k.startswith(prefix)},
            {k: v for k, v in self.crashing.items() if k == file},
        )


def parse(text: str, source: str = "<known failures>") -> KnownFailures:
    """Parse a list; blank lines and `#` comment lines are ignored, anything else malformed raises."""
    known = KnownFailures()
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENTRY.match(stripped)
        if not m:
            raise ValueError(f"{source}:{n}: expected 'file.wast:LINE command-type  # reason', got {line!r}")
        reason = (m["reason"] or "").strip()
        if m["line"] == "*":
            if m["type"] != CRASH:
                raise ValueError(f"{source}:{n}: a whole-file entry must be 'file.wast:* {CRASH}'")
            known.crashing[m["file"]] = reason
        else:
            known.entries[f"{m['file']}:{m['line']} {m['type']}"] = reason
    return known


def load(strategy: str) -> KnownFailures:
    path = list_path(strategy)
    return parse(path.read_text(), str(path)) if path.exists() else KnownFailures()


@dataclass
class Comparison:
    """What differs between one file's run and the list. Empty lists = as expected."""

    unexpected_failures: list[str] = field(default_factory=list)  # "id: message"
    stale: list[str] = field(default_factory=list)  # listed, but passed, was skipped or is gone
    crash: str | None = None  # an unexpected crash of the file

    @property
    def ok(self) -> bool:
        return not (self.unexpected_failures or self.stale or self.crash)

    def report(self) -> str:
        lines = []
        if self.crash:
            lines.append(f"unexpected crash: {self.crash}")
        lines += [f"unexpected failure {f}" for f in self.unexpected_failures]
        lines += [f"{s} is listed but did not fail: remove it from the list" for s in self.stale]
        return "\n".join(lines)


def compare(file: str, results, crash: str | None, known: KnownFailures) -> Comparison:
    """Compare one file's results (`Result`s, in order) with the list, both ways.

    A command id may occur more than once in a file (two commands on one line); it
    counts as failing if any of its commands fails.
    """
    known = known.for_file(file)
    failed: dict[str, str] = {}
    ran: set[str] = set()
    for r in results:
        rid = r.id(file)
        ran.add(rid)
        if r.status == "failed":
            failed.setdefault(rid, r.message)
    out = Comparison()
    expect_crash = file in known.crashing
    if crash and not expect_crash:
        out.crash = crash
    elif expect_crash and not crash:
        out.stale.append(f"{file}:* {CRASH}")
    if not (crash and expect_crash):  # a listed crash excuses everything in the file
        out.unexpected_failures = [f"{rid}: {msg}" for rid, msg in failed.items() if rid not in known.entries]
    for rid in known.entries:
        # After a crash, commands that never ran say nothing; after a full run, a listed
        # id that did not fail (passed, skipped or no longer exists) is stale.
        if rid not in failed and (rid in ran or not crash):
            out.stale.append(rid)
    return out


def render(entries: dict[str, str], crashing: dict[str, str]) -> str:
    """The text of a list, sorted by file then line; reasons kept on one short line."""
    def one_line(reason: str) -> str:
        reason = " ".join(reason.split())
        return reason if len(reason) <= 160 else reason[:157] + "..."

    def key(item: tuple[str, str]):
        file, rest = item[0].split(":", 1)
        line = rest.split(" ", 1)[0]
        return (file, -1 if line == "*" else int(line), item[0])

    rows = [(f"{f}:* {CRASH}", r) for f, r in crashing.items()] + list(entries.items())
    header = ("# Spec commands known to fail; regenerate with "
              "`python -m tests.spec --update-known-failures`.\n")
    body = "".join(f"{rid}  # {one_line(reason)}\n" if reason else f"{rid}\n" for rid, reason in sorted(rows, key=key))
    return header + body


def updated(known: KnownFailures, runs: dict[str, tuple[list, str | None]]) -> KnownFailures:
    """The list after a fresh run of the files in `runs` (file → (results, crash)).

    Entries of files not in `runs` are kept; a remaining entry keeps its old reason,
    a new one gets the failure message as its reason.
    """
    new = KnownFailures(
        {k: v for k, v in known.entries.items() if k.split(":", 1)[0] not in runs},
        {k: v for k, v in known.crashing.items() if k not in runs},
    )
    for file, (results, crash) in runs.items():
        if crash:
            new.crashing[file] = known.crashing.get(file) or crash
        for r in results:
            rid = r.id(file)
            if r.status == "failed" and rid not in new.entries:
                new.entries[rid] = known.entries.get(rid) or r.message
    return new
