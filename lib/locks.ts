import "server-only";
import type { Tx } from "./db";

// Lock order, everywhere: a rotation's row before its key's row, as
// advanceRotations takes them, so two writers never wait on each other in a cycle.

/** Locks a rotation row for the rest of the transaction; false if there is none. */
export async function lockRotation(tx: Tx, rotationId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM rotations WHERE id = ${rotationId} FOR UPDATE`;
  return rows.length > 0;
}

/** Locks a key row for the rest of the transaction; false if there is none. */
export async function lockKey(tx: Tx, keyId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE id = ${keyId} FOR UPDATE`;
  return rows.length > 0;
}
