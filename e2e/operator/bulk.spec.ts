import { expect, test } from "@playwright/test";

test("an operator schedules a rotation for every overdue key of one organization in one go", async ({ page }) => {
  await page.goto("/dashboard/keys");
  const filters = page.getByRole("form", { name: "Filters" });
  await filters.getByLabel("Organization").selectOption({ label: "Tyrell Robotics" });
  await filters.getByLabel("past max age only").check();
  await filters.getByRole("button", { name: "Apply" }).click();
  const total = Number((await page.getByText(/^[\d,]+ keys$/).innerText()).replace(/\D/g, ""));
  expect(total).toBeGreaterThan(0);
  // The button counts only the keys it would touch (active, no rotation under way), of the matching ones.
  const open = page.getByRole("button", { name: /^Schedule rotation for (all [\d,]+ matching keys|the [\d,]+ of [\d,]+ keys not rotating yet)…$/ });
  const label = await open.innerText();
  const schedulable = Number(/(?:all|the) ([\d,]+)/.exec(label)![1].replace(/\D/g, ""));
  expect(schedulable).toBeGreaterThan(0);
  expect(schedulable).toBeLessThanOrEqual(total);
  if (schedulable < total) expect(label).toContain(`of ${total.toLocaleString("en")} keys`);
  await open.click();
  const dialog = page.getByRole("dialog");
  const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
  await dialog.getByLabel("Starts at (UTC)").fill(inThreeDays.toISOString().slice(0, 16));
  await dialog.getByLabel("Reason").fill("catch up on overdue keys");
  await page.screenshot({ path: "e2e/screenshots/bulk-dialog.png" });
  await dialog.getByRole("button", { name: `Schedule ${schedulable} rotation${schedulable === 1 ? "" : "s"}` }).click();
  const status = page.getByRole("status").filter({ hasText: /Scheduled \d+ rotations?\.|Nothing scheduled/ });
  await expect(status).toBeVisible();
  // Keys whose policy makes them start rotating before that time (max age plus postponements, less grace) are left
  // out, and the message says how many: exactly the matching keys still active without a rotation.
  const leftOut = Number(/(\d+) keys? (?:was|were) left out/.exec(await status.innerText())?.[1] ?? 0);
  const unscheduled = async () => {
    let n = 0;
    for (const row of (await page.getByRole("table").getByRole("row").all()).slice(1)) {
      if ((await row.getByRole("cell").nth(5).innerText()).trim() === "active" && (await row.getByText("scheduled").count()) === 0) n++;
    }
    return n;
  };
  if (total <= 50)
    await expect.poll(unscheduled).toBe(leftOut); // one page of the table holds them all
  else await expect.poll(unscheduled).toBeLessThanOrEqual(leftOut);
});
