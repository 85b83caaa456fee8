"""The catalog is loaded strictly, and every catalog file has its fixture."""

import os
import re

import pytest

from conftest import FIXTURES, expected_codes

from asynclint.catalog import CATALOG_DIR, Catalog, CatalogError
from asynclint.catalog.schema import check_file

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CATALOG_FILES = sorted(n[: -len(".toml")] for n in os.listdir(CATALOG_DIR) if n.endswith(".toml"))


def _load(name):
    with open(os.path.join(CATALOG_DIR, f"{name}.toml"), "rb") as fh:
        return tomllib.load(fh)


def _modules(data) -> set:
    """Top-level modules of the names a catalog file lists."""
    names = list((data.get("functions") or {})) + list((data.get("types") or {})) + list((data.get("returns") or {}))
    names += list((data.get("offloaders") or {})) + list((data.get("decorators") or {}))
    asyncs = data.get("async") or {}
    names += asyncs.get("types", []) + asyncs.get("functions", [])
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("name", CATALOG_FILES)
def test_catalog_file_is_valid_and_has_its_fixture(name):
    data = _load(name)
    check_file(f"{name}.toml", data)
    fixture = os.path.join(FIXTURES, "catalog", f"{name}.py")
    assert os.path.isfile(fixture), f"catalog/{name}.toml has no fixture tests/fixtures/catalog/{name}.py"
    with open(fixture, encoding="utf-8") as fh:
        text = fh.read()
    imported = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.MULTILINE))
    assert imported & (_modules(data) | {"builtins"}) or "open(" in text, f"{name}.py uses nothing {name}.toml lists"
    if data.get("functions") or data.get("types"):
        assert expected_codes(fixture), f"{name}.py marks no finding"


def test_every_catalog_fixture_has_its_catalog_file():
    fixtures = sorted(n[:-3] for n in os.listdir(os.path.join(FIXTURES, "catalog")) if n.endswith(".py"))
    assert fixtures == CATALOG_FILES


def test_the_whole_catalog_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no parsed tables from an earlier run
    catalog = Catalog.load()
    assert catalog.function("requests.get").category == "http"
    assert catalog.method("redis.Redis", "get").category == "network"


GOOD = """
[meta]
library = "acme"
pypi = ["acme"]
category = "network"
replacement = "use acme.aio"

[functions]
"acme.fetch" = {}

[types."acme.Client"]
methods = ["get"]
"""


@pytest.mark.parametrize("change,message", [
    (("[functions]", "[function]"), r"acme.toml: unknown table \[function\]"),
    (('methods = ["get"]', 'metods = ["get"]'), r'acme.toml: types."acme.Client".metods: unknown key'),
    (('category = "network"', 'category = "netwrok"'), r"acme.toml: meta.category: unknown category 'netwrok'"),
    (('"acme.fetch" = {}', '"acme.fetch" = { replacment = "x" }'), r'functions."acme.fetch".replacment: unknown key'),
    (('methods = ["get"]', 'methods = "get"'), r'types."acme.Client".methods must be a list'),
    (('methods = ["get"]', 'methods = ["get"]\noverrides = { get = { category = "wiat" } }'),
     r"overrides.get.category: unknown category 'wiat'"),
    (('pypi = ["acme"]', 'pypi = "acme"'), r"meta.pypi must be a list"),
    (('[functions]', '[returns]\n"acme.open" = { "acme.Engine" = 3 }\n\n[functions]'), r'returns."acme.open": 3 is not a str'),
    (('[functions]', '[returns]\n"acme.open" = ["acme.Client"]\n\n[functions]'), r'returns."acme.open" must be a str'),
    (('[functions]', '[objects]\n"acme.default_client" = ["acme.Client"]\n\n[functions]'), r"objects: \['acme.Client'\] is not a str"),
    (('"acme.fetch" = {}', '"acme.fetch" = { unless = [{ arg = "url@0", prefix = "/proc/" }] }'),
     r'unless\[0\].prefix must be a list of non-empty strings'),
])
def test_a_misspelt_catalog_entry_is_an_error(tmp_path, monkeypatch, change, message):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "acme.toml").write_text(GOOD, encoding="utf-8")
    assert Catalog.load(str(folder)).function("acme.fetch").category == "network"
    (folder / "acme.toml").write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        Catalog.load(str(folder))


STRIPE_ROUTES = '''import stripe
from fastapi import FastAPI

app = FastAPI()


@app.patch("/subscription")
async def update_subscription(email: str, subscription_id: str):
    customer = stripe.Customer.retrieve(email)
    subs = stripe.Subscription.list(customer=customer.id)
    stripe.Subscription.modify(subscription_id, cancel_at_period_end=True)
    stripe.Invoice.finalize_invoice(subs.data[0].latest_invoice)
    customer.save()
    return {"n": len(subs.data)}
'''


def test_each_stripe_call_is_told_its_own_async_twin(tmp_path):
    from asynclint.engine import Options, run

    path = tmp_path / "billing.py"
    path.write_text(STRIPE_ROUTES, encoding="utf-8")
    result = run([str(path)], Options(select=["ASL107"], use_cache=False, whole_project=False))
    helps = {d.line: d.suggestion for d in result.diagnostics}
    assert helps == {
        9: "await stripe.Customer.retrieve_async(...) (the *_async twin)",
        10: "await stripe.Subscription.list_async(...) (the *_async twin)",
        11: "await stripe.Subscription.modify_async(...) (the *_async twin)",
        # an alias of the type: the name the code used
        12: "await stripe.Invoice.finalize_invoice_async(...) (the *_async twin)",
        13: "await stripe.Customer.modify_async(id, ...) (save() has no async twin)",
    }


def test_a_replacement_template_is_filled_for_every_front_end():
    from asynclint.catalog import default_catalog
    from asynclint.catalog.view import catalog_rows
    from asynclint.runtime.instrument import catalog_apis

    cat = default_catalog()
    assert cat.method("twilio.rest.Client.list", "fetch").replacement.startswith("await client.<resource>.fetch_async(")
    apis = {a.name: a for a in catalog_apis(cat)[0]}
    assert apis["stripe.Customer.search"].replacement == "await stripe.Customer.search_async(...) (the *_async twin)"
    (row,) = [r for r in catalog_rows("stripe") if r["api"] == "stripe.Customer"]
    assert row["replacement"] == "await stripe.Customer.<method>_async(...) (the *_async twin)"


@pytest.mark.parametrize("change,message", [
    (('methods = ["get"]', 'methods = ["get"]\nreplacement = "await {type}.{methd}_async()"'),
     r'types."acme.Client".replacement: unknown placeholder \{methd\}'),
    (('methods = ["get"]', 'methods = ["get"]\niter = true\nreplacement = "await {type}.{method}_async()"'),
     r'types."acme.Client".replacement: unknown placeholder \{method\} \(only \{type\} here\)'),
    (('"acme.fetch" = {}', '"acme.fetch" = { replacement = "await {method}_async()" }'),
     r'functions."acme.fetch".replacement: unknown placeholder \{method\} \(none here\)'),
])
def test_a_replacement_placeholder_is_checked(tmp_path, monkeypatch, change, message):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "acme.toml").write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        Catalog.load(str(folder))
