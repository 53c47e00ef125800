import type { ReactNode } from "react";

import { type MessageKey, useT } from "../i18n/i18n-context.tsx";

export type SignedOutReason = "no-link" | "link-used" | "link-expired" | "link-invalid" | "session-ended" | "logged-out";

const TEXT: Record<SignedOutReason, { title: MessageKey; body: MessageKey }> = {
  "no-link": { title: "login.noLinkTitle", body: "login.noLinkBody" },
  "link-used": { title: "login.linkUsedTitle", body: "login.linkUsedBody" },
  "link-expired": { title: "login.linkExpiredTitle", body: "login.linkExpiredBody" },
  "link-invalid": { title: "login.linkInvalidTitle", body: "login.linkInvalidBody" },
  "session-ended": { title: "login.sessionEndedTitle", body: "login.sessionEndedBody" },
  "logged-out": { title: "login.loggedOutTitle", body: "login.loggedOutBody" },
};

function safeReturnUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function SignedOutPage({ reason, returnUrl, tools }: { reason: SignedOutReason; returnUrl: string | null; tools: ReactNode }) {
  const t = useT();
  const back = safeReturnUrl(returnUrl);
  return (
    <main className="signed-out" id="main">
      <div className="signed-out-tools">{tools}</div>
      <div className="card signed-out-card">
        <h1>{t(TEXT[reason].title)}</h1>
        <p>{t(TEXT[reason].body)}</p>
        {back && (
          <p>
            <a className="btn btn-primary" href={back} target="_top" rel="noreferrer">
              {t("login.returnToApp")}
            </a>
          </p>
        )}
      </div>
    </main>
  );
}

export function LoadingPage() {
  const t = useT();
  return (
    <main className="signed-out" id="main" aria-busy="true">
      <p role="status">{t("common.loading")}</p>
    </main>
  );
}
