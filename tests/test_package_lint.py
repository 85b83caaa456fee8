"""asynclint's own source passes pyflakes and asynclint's own flake8 plugin."""

import os
import subprocess
import sys

from conftest import ROOT


def test_package_is_pyflakes_and_asynclint_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "F,ASL", os.path.join("src", "asynclint")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
