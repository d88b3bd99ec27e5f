import { ForbiddenError } from "../errors";
import type { Viewer } from "./viewer";

/**
 * Limits a call to one organization's keys: a customer's. Another
 * organization's key or rotation is "not found", never "forbidden", so its
 * existence does not leak. Staff have no scope (an empty object).
 */
export interface OrganizationScope {
  organizationId?: string;
}

/** The scope a viewer acts in: their organization for a customer, everything for staff. */
export function scopeOf(viewer: Viewer): OrganizationScope {
  if (viewer.role !== "customer") return {};
  if (!viewer.orgId) throw new ForbiddenError("Your account belongs to no organization. Ask the API company to fix it.");
  return { organizationId: viewer.orgId };
}

/** True when a row of `organizationId` is outside the scope. */
export function outOfScope(scope: OrganizationScope, organizationId: string): boolean {
  return scope.organizationId !== undefined && scope.organizationId !== organizationId;
}
