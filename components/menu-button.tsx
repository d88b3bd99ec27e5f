"use client";

import { useEffect, useState } from "react";
import { usePathname } from "next/navigation";

/**
 * The main navigation's "Menu" button on narrow screens (CSS shows it below
 * 1180 px): it opens and closes the nav (`data-open`), closes on navigation
 * and on Escape. The nav is hidden behind it only where scripts run (CSS
 * `@media (scripting: enabled)`), so without them the links stay visible, wrapped.
 */
export function MenuButton({ navId }: { navId: string }) {
  const [open, setOpen] = useState(false);
  const path = usePathname();
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on purpose whenever the page changes, to close the menu after a navigation
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    document.getElementById(navId)?.toggleAttribute("data-open", open);
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open, navId]);
  return (
    <button type="button" className="menu-button button secondary small" aria-expanded={open} aria-controls={navId} onClick={() => setOpen((o) => !o)}>
      {open ? "Close menu" : "Menu"}
    </button>
  );
}
