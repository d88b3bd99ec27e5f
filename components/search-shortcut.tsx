"use client";

import { useEffect } from "react";

export interface SearchShortcutProps {
  /** The id of the search input ⌘K / Ctrl+K focuses. */
  inputId: string;
}

/** ⌘K (macOS) or Ctrl+K focuses the header's key search, as in most dashboards. */
export function SearchShortcut({ inputId }: SearchShortcutProps) {
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.key.toLowerCase() !== "k" || !(event.metaKey || event.ctrlKey) || event.altKey || event.shiftKey) return;
      const input = document.getElementById(inputId);
      if (!(input instanceof HTMLInputElement)) return;
      event.preventDefault();
      input.focus();
      input.select();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [inputId]);
  return null;
}
