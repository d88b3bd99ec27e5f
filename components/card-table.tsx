import { Children, cloneElement, Fragment, isValidElement, type ReactElement, type ReactNode, type TableHTMLAttributes } from "react";

type Element = ReactElement<{ children?: ReactNode; colSpan?: number; "data-label"?: string }>;

/** The words of a header cell, as a person reads them (not their upper-cased look): text and its elements' text. */
function textOf(node: ReactNode): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(textOf).join("");
  if (isValidElement<{ children?: ReactNode; "aria-hidden"?: unknown }>(node)) {
    if (node.props["aria-hidden"] === true || node.props["aria-hidden"] === "true") return ""; // a sort arrow, an icon
    return textOf(node.props.children);
  }
  return "";
}

const isElement = (node: ReactNode): node is Element => isValidElement(node);
const span = (cell: Element) => Math.max(1, Number(cell.props.colSpan ?? 1));

/** The labels of the header's last row, one per column (a cell spanning two columns labels both). */
function headerLabels(head: Element): string[] {
  const rows = Children.toArray(head.props.children).filter(isElement);
  const last = rows.at(-1);
  if (!last) return [];
  return Children.toArray(last.props.children)
    .filter(isElement)
    .flatMap((th) => Array<string>(span(th)).fill(th.props["data-label"] ?? textOf(th.props.children).replace(/\s+/g, " ").trim()));
}

function labelRow(row: Element, labels: string[]): Element {
  let column = 0;
  const cells = Children.map(row.props.children, (cell) => {
    if (!isElement(cell) || (cell.type !== "td" && cell.type !== "th")) return cell;
    const width = span(cell);
    // A cell across the whole row (an empty list's "No keys yet") is a sentence, not a field.
    const label = width >= labels.length && labels.length > 1 ? "" : labels[column];
    column += width;
    return cell.props["data-label"] !== undefined || label === undefined ? cell : cloneElement(cell, { "data-label": label });
  });
  return cloneElement(row, {}, cells);
}

function labelRows(rows: ReactNode, labels: string[]): ReactNode {
  return Children.map(rows, (row) => {
    if (!isElement(row)) return row;
    if (row.type === Fragment) return cloneElement(row, {}, labelRows(row.props.children, labels));
    if (row.type === "tr") return labelRow(row, labels);
    // A row drawn by a component of its own cannot be reached from here: it would be an unlabelled card on a phone.
    throw new Error("CardTable: each row must be a <tr> (or a fragment of them) written where the table is, so its cells get their column's label");
  });
}

/**
 * A list's table, which becomes a stack of cards on a phone (globals.css, below 700 px): each body cell is given its
 * column's header as `data-label` here, on the server, so a card reads "Status: active" from the first paint, with
 * no script, and no page spells its headers twice. A cell that sets its own `data-label` keeps it ("" for none).
 * Use it in place of `<table>`, with `<thead>` and `<tbody>` as its children.
 */
export function CardTable({ children, ...props }: TableHTMLAttributes<HTMLTableElement>) {
  const parts = Children.toArray(children);
  const head = parts.find((p): p is Element => isElement(p) && p.type === "thead");
  const labels = head ? headerLabels(head) : [];
  return (
    <table {...props}>
      {parts.map((part) => (isElement(part) && part.type === "tbody" ? cloneElement(part, {}, labelRows(part.props.children, labels)) : part))}
    </table>
  );
}
