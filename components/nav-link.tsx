"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ComponentProps } from "react";

/** The section roots, current only on their own page (the overview is not "every dashboard page"). */
const EXACT = new Set(["/dashboard", "/portal"]);

/** A main navigation link, marked `aria-current="page"` on the section the viewer is in. */
export function NavLink({ href, also = [], ...props }: ComponentProps<typeof Link> & { href: string; also?: string[] }) {
  const path = usePathname() ?? "";
  const within = (root: string) => path === root || path.startsWith(`${root}/`);
  const current = (EXACT.has(href) ? path === href : within(href)) || also.some(within);
  return <Link href={href} aria-current={current ? "page" : undefined} {...props} />;
}
