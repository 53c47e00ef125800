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

/** An application's revocations, logouts indexed by token (there can be many), the rest in a list (few). */
interface RevocationIndex {
  byToken: Map<string, TokenRevocation>;
  broad: TokenRevocation[];
  readAt: number;
}

function indexRevocations(rows: TokenRevocation[], readAt: number): RevocationIndex {
  const index: RevocationIndex = { byToken: new Map(), broad: [], readAt };
  for (const row of rows) {
    if (row.tokenId !== null) index.byToken.set(row.tokenId, row);
    else index.broad.push(row);
  }
  return index;
}

export function makeTokenRevocations(store: Store): TokenRevocations {
  const cache = new Map<string, RevocationIndex>();

  async function revocationsOf(appId: string, now: number): Promise<RevocationIndex> {
    const cached = cache.get(appId);
    if (cached && now - cached.readAt < REVOCATIONS_TTL_MS) return cached;
    const index = indexRevocations(await store.listTokenRevocations(appId), now);
    cache.delete(appId);
    if (cache.size >= MAX_CACHED_APPS) cache.delete(cache.keys().next().value as string);
    cache.set(appId, index);
    return index;
  }

  return {
    async isRevoked(principal, now) {
      const index = await revocationsOf(principal.appId, now);
      const own = index.byToken.get(principal.tokenId);
      return (own !== undefined && matchesRevocation(principal, own, now)) || index.broad.some((revocation) => matchesRevocation(principal, revocation, now));
    },
    async revoke(revocations, now) {
      await store.addTokenRevocations(revocations, now);
      for (const revocation of revocations) cache.delete(revocation.appId);
    },
  };
}
