import { useEffect, useRef } from "react";
import { useLocation } from "wouter";

import { type MessageKey, useT } from "../i18n/i18n-context.tsx";

const TITLES: [string, MessageKey][] = [
  ["/endpoints", "nav.endpoints"],
  ["/messages", "nav.messages"],
  ["/event-types", "nav.catalog"],
  ["/activity", "nav.activity"],
];

/**
 * After a navigation: the tab's title names the screen, and when the focused control went away
 * with the old screen (on phones the list gives way to the detail), focus moves to the content.
 */
export function useRouteFocus(siteName: string): void {
  const [location] = useLocation();
  const t = useT();
  const firstRender = useRef(true);
  useEffect(() => {
    const screen = TITLES.find(([prefix]) => location === prefix || location.startsWith(`${prefix}/`));
    document.title = screen ? `${t(screen[1])} · ${siteName}` : siteName;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const frame = requestAnimationFrame(() => {
      const active = document.activeElement as HTMLElement | null;
      const lost = !active || active === document.body || !active.isConnected || !active.checkVisibility();
      if (lost) document.getElementById("main")?.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [location, siteName, t]);
}
