/**
 * The one-time key of a portal link: `#key=<base64url of {"appId","oneTimeToken"}>`. It is read once
 * at start-up and removed from the address bar at once, so it is neither bookmarked nor shared.
 */

export interface LoginKey {
  appId: string;
  oneTimeToken: string;
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function parseLoginKey(fragment: string): LoginKey | "invalid" | null {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const key = params.get("key");
  if (key === null) return null;
  try {
    const decoded = JSON.parse(decodeBase64Url(key)) as Partial<LoginKey>;
    if (typeof decoded.appId !== "string" || typeof decoded.oneTimeToken !== "string") return "invalid";
    return { appId: decoded.appId, oneTimeToken: decoded.oneTimeToken };
  } catch {
    return "invalid";
  }
}

/** Reads the key from the fragment and drops the fragment from the address bar. */
export function takeLoginKey(): LoginKey | "invalid" | null {
  const key = parseLoginKey(location.hash);
  if (key !== null) history.replaceState(history.state, "", location.pathname + location.search);
  return key;
}
