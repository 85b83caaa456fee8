"""A project's findings do not depend on the unrelated folders beside it.

Downloaded sources are often unpacked side by side with no marker file: ``unzip shop.whl -d
downloads/shop``, ``unzip requests.whl -d downloads/requests``. The shop imports ``requests``;
the folder ``downloads/requests`` beside it is another project, not a package of the shop's, so
it must not lift the shop's root to ``downloads/`` (which named the shop's modules
``shop.shop...`` and lost the chains through its namespace folders). The shop is checked from
inside, from its parent, alone and with its neighbours, and gives the same findings each time.
"""

import json
import os
import shutil
import subprocess
import sys

from conftest import FIXTURES

from asynclint.discover import project_root


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["ASYNCLINT_PYTHON"] = "none"
    return env


def findings(cwd, *paths):
    """{(path below the shop's folder, line, code)} of a JSON run."""
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--no-cache", "--format", "json", *paths],
                          cwd=cwd, capture_output=True, text=True, env=_clean_env())
    assert proc.returncode in (0, 1), proc.stderr
    out = set()
    for d in json.loads(proc.stdout)["diagnostics"]:
        path = os.path.abspath(os.path.join(cwd, d["path"])).replace(os.sep, "/")
        out.add((path.split("/shop/", 1)[1], d["line"], d["code"]))
    return out


def unpacked_wheel(folder, name, version, files):
    """``unzip NAME.whl -d folder``: the package's files and its .dist-info beside them."""
    dist = folder / f"{name}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)


def shop_sources(folder):
    """The fastapi_app fixture as the package ``shop`` whose ``routers`` folder is a namespace
    folder (no __init__.py, as in crawl4ai's ``components``), with a helper module in a namespace
    folder inside it (``routers/audit/``, as litellm's ``llms/anthropic/messages/native``) that a
    coroutine reaches through a chain."""
    pkg = folder / "shop"
    shutil.copytree(os.path.join(FIXTURES, "projects", "fastapi_app", "app"), pkg)
    (pkg / "routers" / "__init__.py").unlink()
    (pkg / "routers" / "audit").mkdir()
    (pkg / "routers" / "audit" / "monitor.py").write_text(
        "import time\n\n\nclass Monitor:\n    def stop(self):\n        time.sleep(0.5)\n")
    (pkg / "service.py").write_text(
        "import requests\n\nfrom shop.routers.audit.monitor import Monitor\n\n\n"
        "async def sync_rates(monitor: Monitor):\n"
        "    monitor.stop()\n"
        "    return requests.get('https://example.com/rates').json()\n")
    return pkg


def test_an_unpacked_wheel_beside_another_has_its_own_root_and_findings(tmp_path):
    alone = tmp_path / "alone" / "shop"
    shop_sources(alone)
    downloads = tmp_path / "downloads"
    unpacked_wheel(downloads / "shop", "shop", "1.0", {})
    shop_sources(downloads / "shop")
    unpacked_wheel(downloads / "requests", "requests", "2.32.3", {
        "requests/__init__.py": "from .api import get, post\n",
        "requests/api.py": "def get(url, **kw):\n    return None\n\n\ndef post(url, **kw):\n    return None\n",
    })

    assert project_root([str(downloads / "shop")]) == str(downloads / "shop")
    assert project_root([str(downloads / "shop" / "shop" / "routers")]) == str(downloads / "shop")
    # a namespace folder in a namespace folder of the package: still the folder above the package
    assert project_root([str(downloads / "shop" / "shop" / "routers" / "audit")]) == str(downloads / "shop")
    assert project_root([str(downloads / "shop" / "shop" / "routers" / "audit" / "monitor.py")]) \
        == str(downloads / "shop")

    expected = findings(str(alone.parent), "shop")
    assert ("shop/service.py", 7, "ASL202") in expected  # through the namespace folder
    assert ("shop/service.py", 8, "ASL101") in expected
    assert len(expected) > 10
    assert findings(str(downloads / "shop")) == expected  # from inside
    assert findings(str(downloads), "shop") == expected  # from the parent
    assert findings(str(tmp_path), str(downloads / "shop")) == expected  # by its absolute path


def test_a_namespace_folder_in_a_package_is_named_from_the_package_under_a_higher_root(tmp_path):
    """A repository whose marker is above the folder holding the package, named like it (``shop/shop``,
    as Django's ``mysite/mysite``, beside another service): the root is the repository, and the
    namespace folders ``routers/audit`` are still ``shop.routers.audit``, not ``shop.shop.routers.audit``."""
    alone = tmp_path / "alone" / "shop"
    shop_sources(alone)
    repo = tmp_path / "repo"
    shop_sources(repo / "shop")
    (repo / "worker").mkdir()
    (repo / "worker" / "jobs.py").write_text("import time\n\n\ndef nightly():\n    time.sleep(60)\n")
    (repo / "pyproject.toml").write_text('[tool.ruff]\nline-length = 100\n')
    assert project_root([str(repo / "shop")]) == str(repo)

    expected = findings(str(alone.parent), "shop")
    assert ("shop/service.py", 7, "ASL202") in expected
    assert findings(str(repo), "shop") == expected
    assert findings(str(repo)) == expected
