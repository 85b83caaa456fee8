"""Benchmark corpora and peer tools, built from pinned PyPI downloads.

Everything lives in a work directory outside the repository (default
``~/.cache/asynclint-bench``, or ``--work-dir``):

    dl/                 the downloaded wheels (checked against SHA-256 below)
    corpora/<name>/     the unzipped corpora (only ``*.py`` files are extracted)
    peers/              a virtual environment with the pinned peer tools

Nothing here is committed; ``bench/run.py`` rebuilds whatever is missing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field

# (distribution, version, sha256 of the wheel pip downloads for it)
WHEELS = {
    "lnbits": ("lnbits", "1.6.2", "lnbits-1.6.2-py3-none-any.whl"),
    # 2024.3.3 is the newest homeassistant release that `pip download` resolves
    # for Python 3.11 (later ones require Python >= 3.12).  It has 971,683
    # lines of Python; the large corpus adds lnbits next to it to pass 1M.
    "homeassistant": ("homeassistant", "2024.3.3", "homeassistant-2024.3.3-py3-none-any.whl"),
    # the fixing benchmark (bench/fix.py)
    "open-webui": ("open-webui", "0.12.4", "open_webui-0.12.4-py3-none-any.whl"),
}

# Enforced: a changed file on the index would silently change the corpus.
SHA256 = {
    "lnbits-1.6.2-py3-none-any.whl": "25649a8b40f58e30e19aa9bb3c391a92b26e47cf9f028818fcab10b38a849339",
    "homeassistant-2024.3.3-py3-none-any.whl": "6e1ec2c07441d63fdcfb8acd2c4bbb6f68bc97330855784d3623d10c38fe3577",
    "open_webui-0.12.4-py3-none-any.whl": "02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6",
}

PEERS = {
    "flake8": "7.5.0",
    "flake8-async": "26.8.1",
    "ruff": "0.17.6",
    "hydroid-cli": "0.5.0",
}


@dataclass
class Corpus:
    name: str
    wheels: list  # keys of WHEELS
    edit_file: str  # relative path of the file the incremental run edits
    description: str
    subset: float = 1.0  # fraction of homeassistant integrations kept (scaling runs)
    path: str = ""
    files: int = 0
    lines: int = 0
    extra: dict = field(default_factory=dict)


CORPORA = {
    "lnbits": Corpus(
        "lnbits", ["lnbits"], "lnbits/core/services/payments.py",
        "lnbits 1.6.2 (FastAPI app)",
    ),
    "large": Corpus(
        "large", ["homeassistant", "lnbits"], "homeassistant/components/hue/v2/light.py",
        "homeassistant 2024.3.3 + lnbits 1.6.2",
    ),
}


def scaling_corpus(fraction: float) -> Corpus:
    """homeassistant with only the first ``fraction`` of its integrations (sorted by name)."""
    pct = int(round(fraction * 100))
    return Corpus(
        f"ha-{pct}pct", ["homeassistant"], "homeassistant/core.py",
        f"homeassistant 2024.3.3, core + first {pct}% of integrations", subset=fraction,
    )


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(work: str, key: str, log=print) -> str:
    dist, version, fname = WHEELS[key]
    dl = os.path.join(work, "dl")
    os.makedirs(dl, exist_ok=True)
    path = os.path.join(dl, fname)
    if not os.path.exists(path):
        log(f"downloading {dist}=={version} ...")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             f"{dist}=={version}", "-d", dl, "-q"],
            check=True,
        )
    digest = _sha256(path)
    want = SHA256.get(fname)
    if want and digest != want:
        raise SystemExit(f"{fname}: sha256 {digest} does not match the pinned {want}")
    return path


def _components(names) -> list:
    comps = set()
    for n in names:
        parts = n.split("/")
        if len(parts) > 3 and parts[0] == "homeassistant" and parts[1] == "components":
            comps.add(parts[2])
    return sorted(comps)


def build(work: str, corpus: Corpus, log=print) -> Corpus:
    """Unzip the corpus (once) and count its files and lines."""
    dest = os.path.join(work, "corpora", corpus.name)
    done = os.path.join(dest, ".bench-complete")
    if not os.path.exists(done):
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        for key in corpus.wheels:
            wheel = download(work, key, log)
            with zipfile.ZipFile(wheel) as zf:
                names = [n for n in zf.namelist() if n.endswith(".py") and ".dist-info/" not in n]
                if corpus.subset < 1.0:
                    comps = _components(names)
                    keep = set(comps[: int(len(comps) * corpus.subset)])
                    names = [
                        n for n in names
                        if not n.startswith("homeassistant/components/") or n.split("/")[2] in keep
                        or n.count("/") == 2
                    ]
                log(f"extracting {len(names)} files of {os.path.basename(wheel)} into {dest}")
                zf.extractall(dest, members=names)
        # a project marker, so every tool sees the corpus directory as the project root
        with open(os.path.join(dest, "pyproject.toml"), "w") as fh:
            fh.write('[project]\nname = "asynclint-bench-corpus"\nversion = "0"\n')
        with open(done, "w") as fh:
            fh.write("ok\n")
    corpus.path = dest
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(dest):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(dirpath, name), "rb") as fh:
                    lines += fh.read().count(b"\n")
    corpus.files, corpus.lines = files, lines
    return corpus


def peers_env(work: str, use_current: bool, log=print) -> str:
    """The bin directory holding flake8, ruff and hydroid.

    By default a virtual environment ``<work>/peers`` with the pinned versions,
    so asynclint's own flake8 plugin (installed in the development env) does
    not load into the flake8 being timed.  ``--peers-from-env`` uses whatever
    is on PATH instead.
    """
    if use_current:
        import shutil

        found = shutil.which("ruff")
        return os.path.dirname(found) if found else os.path.dirname(sys.executable)
    venv = os.path.join(work, "peers")
    bindir = os.path.join(venv, "bin")
    stamp = os.path.join(venv, ".bench-peers")
    want = " ".join(f"{k}=={v}" for k, v in sorted(PEERS.items()))
    have = open(stamp).read().strip() if os.path.exists(stamp) else ""
    if have != want:
        log(f"creating the peers venv {venv}: {want}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
        subprocess.run(
            [os.path.join(bindir, "python"), "-m", "pip", "install", "-q", *want.split()], check=True
        )
        with open(stamp, "w") as fh:
            fh.write(want + "\n")
    return bindir
