import { expect, test } from "@playwright/test";

test("the API link opens a readable reference with every operation of the OpenAPI document, not raw JSON", async ({ page, request }) => {
  const spec = await (await request.get("/api/v1/openapi.json")).json();
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API", exact: true }).click();
  await expect(page).toHaveURL(/\/docs\/api$/);
  await expect(page.getByRole("heading", { name: "API reference", level: 1 })).toBeVisible();
  const toc = page.getByRole("navigation", { name: "Operations" });
  let operations = 0;
  for (const [path, ops] of Object.entries(spec.paths as Record<string, Record<string, { summary: string }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      operations++;
      const article = page.getByRole("article", { name: op.summary, exact: true });
      await expect(article.getByText(`${method.toUpperCase()} ${path}`, { exact: true }), `${method} ${path}`).toBeVisible();
      await expect(toc.getByRole("link", { name: `${method.toUpperCase()} ${op.summary}` })).toBeVisible();
    }
  }
  expect(operations).toBeGreaterThan(25);
  // Fields of a body, with their limits, and the objects they refer to.
  const rotate = page.getByRole("article", { name: "Schedule or start a rotation", exact: true });
  await expect(rotate.getByText("kind", { exact: true })).toBeVisible();
  await page
    .getByRole("article", { name: "A key's rotations, newest first", exact: true })
    .getByRole("link", { name: "Rotation", exact: true })
    .first()
    .click();
  await expect(page).toHaveURL(/#schema-Rotation$/);
  await expect(page.getByRole("article", { name: "Rotation", exact: true }).getByText("graceEndsAt")).toBeVisible();
});
