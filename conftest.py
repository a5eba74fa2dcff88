"""Fixtures shared by every app's tests: the browser (Playwright driving the system Chromium)
and the axe-core accessibility check that every page visited by a browser test must pass."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("MINGA_CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHARED = ROOT.parent / "shared"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The WCAG 2.2 AA rule set (axe-core tags).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def shared_path(*parts: str) -> Path:
    """A file of ../shared, read in place. Where ../shared is absent the test is skipped with a
    loud message; where it is present but the file is not, the test fails."""
    if not SHARED.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: ../shared is absent ({SHARED}); shared-data tests not run")
    path = SHARED.joinpath(*parts)
    assert path.exists(), f"{path} is missing from ../shared"
    return path


def _browser_missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if not AXE_JS.exists():
        return f"axe-core not found at {AXE_JS} (npm ci)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _browser_missing_reason()
    browser_items = [i for i in items if "browser" in i.keywords]
    if reason is None or not browser_items:
        return
    if os.environ.get("MINGA_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"MINGA_REQUIRE_BROWSER=1 but {reason}")
    banner = f"BROWSER TESTS SKIPPED ({len(browser_items)}): {reason}"
    print("\n" + "!" * len(banner) + "\n" + banner + "\n" + "!" * len(banner))
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=banner))


@pytest.fixture(scope="session")
def _playwright_browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the live server's database work
    # happens in its own thread, and the test's own ORM calls are synchronous by design.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser: Any, live_server: Any) -> Iterator[Any]:
    context = _playwright_browser.new_context(locale="es-EC", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_check(page: Any) -> None:
    """Runs axe-core on the current page with the WCAG 2.2 AA rule set; fails on any violation,
    naming the rule and the offending elements."""
    # A click on a link may return before its navigation has begun, so the script can land in
    # the document being left (its body already gone: "reading 'appendChild'", or a destroyed
    # execution context). Once the new page has loaded, a second try reaches it.
    for attempt in (1, 2):
        page.wait_for_load_state("load")
        try:
            page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
            break
        except Exception as error:  # playwright's Error, imported only where browsers run
            leaving = "appendChild" in str(error) or "context was destroyed" in str(error)
            if attempt == 2 or not leaving:
                raise
            page.wait_for_timeout(200)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = result["violations"]
    detail = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} :: "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe-core found violations on {page.url}:\n{detail}"


@pytest.fixture
def axe() -> Any:
    return axe_check


@pytest.fixture(autouse=True)
def _empty_append_only_tables_after_transactional_tests(request: pytest.FixtureRequest) -> Any:
    """Append-only tables (the audit log, the ledger's transfers and journal) refuse DELETE by
    trigger. After a transactional test, SQLite's flush deletes row by row, which those triggers
    refuse (PostgreSQL truncates, which row triggers do not see). So on SQLite the rows of every
    table that has a trigger are removed here, with the triggers lifted for that moment only."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # so that this teardown runs before the flush
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _table, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        # Rows of other tables may still point at these (the flush that follows removes them).
        cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            for table in sorted({table for _name, table, _sql in triggers}):
                cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 - names from sqlite_master
        finally:
            cursor.execute("PRAGMA foreign_keys = ON")
            for _name, _table, sql in triggers:
                cursor.execute(sql)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language (Spanish). A request served by the test client
    leaves its language active in the thread, which would otherwise leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
