import type { ReactNode } from "react";

import { usePortal } from "../auth/session-context.tsx";
import { ErrorBoundary } from "../components/error-boundary.tsx";
import { Preferences } from "../components/preferences.tsx";
import type { EmbedOptions } from "../embed/embed-options.ts";
import { useT } from "../i18n/i18n-context.tsx";
import { AppNav } from "./app-nav.tsx";
import { useRouteFocus } from "./use-route-focus.ts";

/** Header (brand, navigation, language, theme, log out) around the current screen. */
export function AppShell({ embed, children }: { embed: EmbedOptions; children: ReactNode }) {
  const t = useT();
  const { settings, can, logout } = usePortal();
  const logo = embed.icon ?? settings.logoUrl ?? null;
  const name = settings.displayName || t("header.defaultName");
  useRouteFocus(name);
  const readOnly = !can.manageEndpoint && !can.createAttempts && !can.manageTransformations && !can.manageSecret;

  return (
    <div className={`shell${embed.noGutters ? " no-gutters" : ""}`}>
      <a href="#main" className="skip-link">
        {t("header.skip")}
      </a>
      <header className="app-header">
        <div className="brand">
          {logo && <img src={logo} alt="" className="brand-logo" />}
          <span className="brand-name">{name}</span>
          {readOnly && <span className="badge badge-neutral">{t("header.readOnly")}</span>}
        </div>
        {!embed.hideNavigation && <AppNav />}
        <div className="header-tools">
          <Preferences />
          <button type="button" className="btn btn-ghost" onClick={logout}>
            {t("header.logout")}
          </button>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <ErrorBoundary
          fallback={(reset) => (
            <div className="notice notice-error" role="alert">
              <p>{t("errors.screen")}</p>
              <button type="button" className="btn" onClick={reset}>
                {t("errors.retry")}
              </button>
            </div>
          )}
        >
          {children}
        </ErrorBoundary>
      </main>
    </div>
  );
}
