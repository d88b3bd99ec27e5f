import { createElement as h, Fragment } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CardTable } from "../components/card-table";

// A list's table is a stack of cards on a phone, each cell labelled by its column: the labels are written on the
// server (components/card-table.tsx), so the first paint has them and no script is needed.
/** A row drawn by a component of its own. */
const Row = () => h("tr", null, h("td", null, "x"));
const labels = (html: string) => [...html.matchAll(/<td[^>]*?data-label="([^"]*)"/g)].map((m) => m[1]);

describe("CardTable", () => {
  it("labels each body cell with its column's header, in words, across fragments and spans", () => {
    const html = renderToStaticMarkup(
      h(
        CardTable,
        { className: "compact" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", null, "Key"),
            h("th", { colSpan: 2 }, "Last ", h("abbr", null, "used")),
            h("th", null, "Age", h("span", { "aria-hidden": true }, " ▲")),
          ),
        ),
        h(
          "tbody",
          null,
          [1, 2].map((n) => h("tr", { key: n }, h("td", null, `k${n}`), h("td", null, "a"), h("td", null, "b"), h("td", null, "3 days"))),
          h(Fragment, null, h("tr", null, h("td", { "data-label": "" }, "own"), h("td", { "data-label": "When" }, "x"))),
          false,
          h("tr", null, h("td", { colSpan: 4 }, "No more keys")),
        ),
      ),
    );
    expect(html.startsWith('<table class="compact">')).toBe(true);
    expect(labels(html)).toEqual(["Key", "Last used", "Last used", "Age", "Key", "Last used", "Last used", "Age", "", "When", ""]);
    expect(html).toContain('<th>Age<span aria-hidden="true"> ▲</span></th>'); // the header itself is left as written
  });

  it("refuses a row drawn by a component of its own, which it could not label", () => {
    expect(() => renderToStaticMarkup(h(CardTable, null, h("thead", null, h("tr", null, h("th", null, "A"))), h("tbody", null, h(Row))))).toThrow(
      /each row must be a <tr>/,
    );
  });
});
