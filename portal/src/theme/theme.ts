import type { ThemeChoice } from "../embed/embed-options.ts";
import { contrast, textOn } from "./contrast.ts";

const STORAGE_KEY = "herald.portal.theme";
const SURFACES = { light: "#ffffff", dark: "#161b22" };

export function storedTheme(): ThemeChoice | null {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" || stored === "auto" ? stored : null;
  } catch {
    return null;
  }
}

export function storeTheme(choice: ThemeChoice): void {
  try {
    localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Not persisted.
  }
}

export function resolveTheme(choice: ThemeChoice): "light" | "dark" {
  if (choice !== "auto") return choice;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export interface Brand {
  primaryLight: string | null;
  primaryDark: string | null;
  fontFamily: string | null;
}

/**
 * Applies the theme to <html>: `data-theme`, and the brand colour as --primary when it is readable
 * as text on the theme's surface (links and outlines use it); buttons get black or white text on it.
 */
export function applyTheme(choice: ThemeChoice, brand: Brand): void {
  const theme = resolveTheme(choice);
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.style.colorScheme = theme;
  const primary = theme === "dark" ? brand.primaryDark : brand.primaryLight;
  if (primary) {
    root.style.setProperty("--button", primary);
    root.style.setProperty("--button-text", textOn(primary));
    if (contrast(primary, SURFACES[theme]) >= 4.5) root.style.setProperty("--primary", primary);
    else root.style.removeProperty("--primary");
  } else {
    for (const name of ["--button", "--button-text", "--primary"]) root.style.removeProperty(name);
  }
  if (brand.fontFamily) root.style.setProperty("--font", `${brand.fontFamily}, system-ui, sans-serif`);
  else root.style.removeProperty("--font");
}
