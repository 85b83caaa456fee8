import os
import re
import sys

import pytest

pytest_plugins = ["pytester"]  # the runtime plugin's tests run inner pytest sessions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

_EXPECT = re.compile(r"#\s*((?:ASL\d{3}[\s,]*)+)$")
_KNOWN_MISS = re.compile(r"#\s*known-miss:\s*((?:ASL\d{3}[\s,]*)+)\s*(?:\(.*\))?$")


def known_misses(path: str) -> set:
    """{(line, code)} that are true findings asynclint does not make yet: ``# known-miss: ASL104 (why)``."""
    out = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            m = _KNOWN_MISS.search(line.rstrip())
            if m:
                out |= {(lineno, code) for code in re.findall(r"ASL\d{3}", m.group(1))}
    return out


def expected_codes(path: str) -> set:
    """{(line, code)} from trailing ``# ASL101`` comments (not ``# noqa: ASL101``)."""
    out = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            m = _EXPECT.search(line.rstrip())
            if not m:
                continue
            before = line[: m.start()].rstrip()
            if re.search(r"noqa:?\s*$", before, re.IGNORECASE):
                continue
            for code in re.findall(r"ASL\d{3}", m.group(1)):
                out.add((lineno, code))
    return out


@pytest.fixture
def fixtures_dir():
    return FIXTURES
