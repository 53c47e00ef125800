/**
 * Svix's per-URL white-label options, read from the query string before the fragment:
 * primaryColor[Light|Dark] (RRGGBB, with or without #), darkMode=true|false|auto, icon (logo URL),
 * fontFamily, hideNavigation, noGutters, and next (the path to open after signing in). They are
 * kept for the tab, as navigation drops the query string.
 */

export type ThemeChoice = "light" | "dark" | "auto";

export interface EmbedOptions {
  primaryColorLight: string | null;
  primaryColorDark: string | null;
  darkMode: ThemeChoice | null;
  icon: string | null;
  fontFamily: string | null;
  hideNavigation: boolean;
  noGutters: boolean;
  next: string | null;
}

const STORAGE_KEY = "herald.portal.embed";

function color(value: string | null): string | null {
  if (!value) return null;
  const hex = value.replace(/^#/, "");
  return /^[0-9a-fA-F]{6}$/.test(hex) ? `#${hex.toLowerCase()}` : null;
}

function flag(value: string | null): boolean {
  return value !== null && value !== "false" && value !== "0";
}

function darkMode(value: string | null): ThemeChoice | null {
  if (value === "true") return "dark";
  if (value === "false") return "light";
  if (value === "auto") return "auto";
  return null;
}

/** A deep link is a path inside the portal, never another origin. */
function nextPath(value: string | null): string | null {
  if (!value || !value.startsWith("/") || value.startsWith("//")) return null;
  return value.replace(/^\/portal(?=\/|$)/, "") || "/";
}

function safeFont(value: string | null): string | null {
  return value && /^[\w\s,'"-]{1,100}$/.test(value) ? value : null;
}

function safeIcon(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value, location.href);
    return url.protocol === "https:" || url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}

export function parseEmbedOptions(search: string): EmbedOptions {
  const params = new URLSearchParams(search);
  const primary = color(params.get("primaryColor"));
  return {
    primaryColorLight: color(params.get("primaryColorLight")) ?? primary,
    primaryColorDark: color(params.get("primaryColorDark")) ?? primary,
    darkMode: darkMode(params.get("darkMode")),
    icon: safeIcon(params.get("icon")),
    fontFamily: safeFont(params.get("fontFamily")),
    hideNavigation: flag(params.get("hideNavigation")),
    noGutters: flag(params.get("noGutters")),
    next: nextPath(params.get("next")),
  };
}

function hasAny(options: EmbedOptions): boolean {
  return Object.values(options).some((value) => value !== null && value !== false);
}

/** This URL's options, or those the tab was opened with. */
export function readEmbedOptions(): EmbedOptions {
  const fromUrl = parseEmbedOptions(location.search);
  try {
    if (hasAny(fromUrl)) {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(fromUrl));
      return fromUrl;
    }
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (stored) return { ...(JSON.parse(stored) as EmbedOptions), next: null };
  } catch {
    // Storage blocked: this URL's options only.
  }
  return fromUrl;
}
