import { Link, useLocation } from "wouter";

import { type MessageKey, useT } from "../i18n/i18n-context.tsx";

const ITEMS: { path: string; key: MessageKey }[] = [
  { path: "/endpoints", key: "nav.endpoints" },
  { path: "/messages", key: "nav.messages" },
  { path: "/event-types", key: "nav.catalog" },
  { path: "/activity", key: "nav.activity" },
];

export function AppNav() {
  const t = useT();
  const [location] = useLocation();
  return (
    <nav className="app-nav" aria-label={t("nav.label")}>
      <ul>
        {ITEMS.map((item) => {
          const active = location === item.path || location.startsWith(`${item.path}/`);
          return (
            <li key={item.path}>
              <Link href={item.path} className="nav-link" aria-current={active ? "page" : undefined}>
                {t(item.key)}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
