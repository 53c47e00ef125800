import type { EndpointKey } from "./types.ts";

/** Svix allows at most this many rotated-out keys still in their grace period. */
export const MAX_OLD_KEYS = 10;

/**
 * Secret rotation: the new key becomes current, the current one keeps signing until
 * `now + graceMs`, and keys already past their grace period are dropped. Returns null when too
 * many old keys would remain.
 */
export function rotateKeys(keys: EndpointKey[], newKey: string, graceMs: number, now: number): EndpointKey[] | null {
  const oldKeys: EndpointKey[] = [];
  for (const key of keys) {
    const expiresAt = key.expiresAt ?? now + graceMs;
    if (expiresAt > now) oldKeys.push({ key: key.key, expiresAt });
  }
  if (oldKeys.length > MAX_OLD_KEYS) return null;
  return [{ key: newKey, expiresAt: null }, ...oldKeys];
}

/** Keys that sign a request sent at `now`: the current one and those still in their grace period. */
export function signingKeys(keys: EndpointKey[], now: number): string[] {
  return keys.filter((key) => key.expiresAt === null || key.expiresAt > now).map((key) => key.key);
}
