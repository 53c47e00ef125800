import type { Store, TokenRevocation } from "../store/store.ts";
import type { AppPrincipal } from "./auth-tokens.ts";

/**
 * How long a process trusts its copy of an application's revocations. A logout or expire-all made
 * through this process applies at once (the copy is dropped); made through another API process, it
 * applies within this time.
 */
const REVOCATIONS_TTL_MS = 1000;
/** Copies kept at most; beyond it the oldest go (one application per portal in use). */
const MAX_CACHED_APPS = 10_000;

export interface TokenRevocations {
  isRevoked(principal: AppPrincipal, now: number): Promise<boolean>;
  revoke(revocations: TokenRevocation[], now: number): Promise<void>;
}

export function matchesRevocation(principal: AppPrincipal, revocation: TokenRevocation, now: number): boolean {
  if (now < revocation.effectiveAt || principal.issuedAtMs > revocation.issuedBefore) return false;
  if (revocation.tokenId !== null) return revocation.tokenId === principal.tokenId;
  return revocation.sessionId === null || revocation.sessionId === principal.sessionId;
}

export function makeTokenRevocations(store: Store): TokenRevocations {
  const cache = new Map<string, { rows: TokenRevocation[]; readAt: number }>();

  async function revocationsOf(appId: string, now: number): Promise<TokenRevocation[]> {
    const cached = cache.get(appId);
    if (cached && now - cached.readAt < REVOCATIONS_TTL_MS) return cached.rows;
    const rows = await store.listTokenRevocations(appId);
    cache.delete(appId);
    if (cache.size >= MAX_CACHED_APPS) cache.delete(cache.keys().next().value as string);
    cache.set(appId, { rows, readAt: now });
    return rows;
  }

  return {
    async isRevoked(principal, now) {
      return (await revocationsOf(principal.appId, now)).some((revocation) => matchesRevocation(principal, revocation, now));
    },
    async revoke(revocations, now) {
      await store.addTokenRevocations(revocations, now);
      for (const revocation of revocations) cache.delete(revocation.appId);
    },
  };
}
