/**
 * The portal session: the answer of POST /api/v1/auth/one-time-token, kept in sessionStorage under
 * `herald.portal.session` so a reload stays signed in and closing the tab forgets it. Storage can be
 * unavailable (third-party iframes with storage blocked), so a copy also lives in memory.
 */

export interface Session {
  token: string;
  appId: string;
  capabilities: string[];
  featureFlags: string[];
  expiresAt: string;
  sessionId: string | null;
}

const STORAGE_KEY = "herald.portal.session";
let inMemory: Session | null = null;

export function loadSession(): Session | null {
  if (inMemory) return inMemory;
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (!stored) return null;
    const session = JSON.parse(stored) as Session;
    if (typeof session.token !== "string" || typeof session.appId !== "string") return null;
    if (Date.parse(session.expiresAt) <= Date.now()) return null;
    inMemory = session;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  inMemory = session;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Storage blocked: the in-memory copy serves until the page is closed.
  }
}

export function clearSession(): void {
  inMemory = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}
