"use client";

import { useEffect } from "react";

/** Tables that become cards on a phone (globals.css): every list's table. */
const CARD_TABLES = ".table-wrap table, .scroll-x table";

/** Gives each body cell of a card table its column's header as `data-label`, unless the page set one. */
function labelCells(root: ParentNode) {
  for (const table of root.querySelectorAll<HTMLTableElement>(CARD_TABLES)) {
    const headerRow = table.tHead?.rows[table.tHead.rows.length - 1];
    if (!headerRow) continue;
    const labels: string[] = [];
    for (const th of headerRow.cells) for (let i = 0; i < th.colSpan; i++) labels.push((th.textContent ?? "").trim()); // the words, not their upper-cased look
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (!cell.hasAttribute("data-label") && labels[column] !== undefined) cell.setAttribute("data-label", labels[column]);
          column += cell.colSpan;
        }
      }
    }
  }
}

/**
 * Labels the cells of every list's table, so that on a phone each row reads
 * as a card ("Status: active") without every page spelling the header twice.
 * Rows that arrive later (a refresh, a filter) are labelled as they appear.
 */
export function TableLabels() {
  useEffect(() => {
    labelCells(document);
    let queued = false;
    const observer = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        labelCells(document);
      });
    });
    observer.observe(document.body, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  return null;
}
