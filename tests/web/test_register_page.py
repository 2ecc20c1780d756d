"""The safety representative's console page, in a real Chromium: the register by role."""

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under TRYGG_TEST_REQUIRE_ALL=1)
    expect = None

from tests.helpers import PASSWORD, create_person
from tests.privacy.helpers import SEQUENCE, incident_alarm


async def test_safety_rep_logs_in_to_the_register_and_sees_roles_not_names(
        server, api, fresh_org, new_context):
    org = fresh_org
    rep = await create_person(api, org.admin_token, roles=["safety_rep"],
                              office_id=org.office["id"], name="Vera Verneombud")
    await incident_alarm(api, org)
    context = await new_context()
    page = await context.new_page()
    await page.goto(server.base_url + "/console/login")
    await page.fill("#username", rep.username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url("**/console/register")
    rows = page.locator("#g-entries tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(SEQUENCE)
    await expect(rows.first).to_contain_text("Ansatt, Responsperson")
    await expect(page.locator("#g-entries")).not_to_contain_text(org["staff"].full_name)
    await expect(page.locator("a[href='/console/alarms']")).to_be_hidden()
    await expect(page.locator("a[href='/console/stats']")).to_be_visible()
    # The live board is not theirs: they are sent back to the register.
    await page.goto(server.base_url + "/console/")
    await page.wait_for_url("**/console/register")
