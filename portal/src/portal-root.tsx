import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Router } from "wouter";

import { onSessionEnded, setBearer } from "./api/http.ts";
import { environmentSettings, logout, setAppId } from "./api/portal-api.ts";
import { connectSvix } from "./api/svix-client.ts";
import { permissionsOf } from "./auth/capabilities.ts";
import { exchangeOnce } from "./auth/exchange.ts";
import type { LoginKey } from "./auth/login-key.ts";
import { LoadingPage, SignedOutPage,type SignedOutReason } from "./auth/login-pages.tsx";
import { clearSession, loadSession, saveSession, type Session } from "./auth/session.ts";
import { type PortalContext, SessionContext } from "./auth/session-context.tsx";
import { Preferences } from "./components/preferences.tsx";
import type { EmbedOptions } from "./embed/embed-options.ts";
import { AppShell } from "./shell/app-shell.tsx";
import { AppRoutes } from "./shell/routes.tsx";
import { ThemeProvider } from "./theme/theme-context.tsx";

type Gate =
  | { kind: "exchanging"; key: LoginKey }
  | { kind: "ready"; session: Session }
  | { kind: "signed-out"; reason: SignedOutReason; returnUrl: string | null };

function initialGate(loginKey: LoginKey | "invalid" | null): Gate {
  if (loginKey === "invalid") return { kind: "signed-out", reason: "link-invalid", returnUrl: null };
  if (loginKey) return { kind: "exchanging", key: loginKey };
  const session = loadSession();
  return session ? { kind: "ready", session } : { kind: "signed-out", reason: "no-link", returnUrl: null };
}

function connect(session: Session): void {
  setBearer(session.token);
  setAppId(session.appId);
  connectSvix(session.token);
}

/**
 * Signs in (the link's key, or the tab's stored session), then shows the portal; a 401 at any
 * point ends the session and says so.
 */
export function PortalRoot({ loginKey, embed }: { loginKey: LoginKey | "invalid" | null; embed: EmbedOptions }) {
  const [gate, setGate] = useState<Gate>(() => initialGate(loginKey));
  const queryClient = useQueryClient();
  if (gate.kind === "ready") connect(gate.session);

  const endSession = (reason: SignedOutReason) => {
    clearSession();
    setBearer(null);
    queryClient.clear();
    setGate({ kind: "signed-out", reason, returnUrl: null });
  };

  useEffect(() => {
    onSessionEnded(() => endSession("session-ended"));
  });

  useEffect(() => {
    if (gate.kind !== "exchanging") return;
    let current = true;
    exchangeOnce(gate.key.oneTimeToken).then((result) => {
      if (!current) return;
      if ("session" in result) {
        saveSession(result.session);
        setGate({ kind: "ready", session: result.session });
      } else setGate({ kind: "signed-out", ...result });
    });
    return () => {
      current = false;
    };
  }, [gate]);

  const settings = useQuery({ queryKey: ["settings"], queryFn: environmentSettings, enabled: gate.kind === "ready", staleTime: Infinity, retry: 1 });
  const brand = {
    primaryLight: embed.primaryColorLight ?? settings.data?.customColor ?? null,
    primaryDark: embed.primaryColorDark ?? settings.data?.customColor ?? null,
    fontFamily: embed.fontFamily ?? settings.data?.customFontFamily ?? null,
  };

  const context = useMemo((): PortalContext | null => {
    if (gate.kind !== "ready") return null;
    return {
      session: gate.session,
      can: permissionsOf(gate.session.capabilities),
      settings: settings.data ?? {},
      logout: () => {
        logout().then(
          () => endSession("logged-out"),
          () => endSession("logged-out"),
        );
      },
    };
    // endSession only touches stable setters and the query client.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gate, settings.data]);

  let content;
  if (gate.kind === "signed-out") content = <SignedOutPage reason={gate.reason} returnUrl={gate.returnUrl} tools={<Preferences />} />;
  else if (gate.kind === "exchanging" || !context || settings.isPending) content = <LoadingPage />;
  else
    content = (
      <SessionContext.Provider value={context}>
        <Router base="/portal">
          <AppShell embed={embed}>
            <AppRoutes />
          </AppShell>
        </Router>
      </SessionContext.Provider>
    );

  return (
    <ThemeProvider initial={embed.darkMode} brand={brand}>
      {content}
    </ThemeProvider>
  );
}
