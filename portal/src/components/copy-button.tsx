import { useState } from "react";

import { useT } from "../i18n/i18n-context.tsx";

/** Copies `text`; needs `allow="clipboard-write"` on an embedding iframe, as Svix's portal does. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const t = useT();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <>
      <button
        type="button"
        className="btn"
        aria-label={label}
        onClick={() => {
          // navigator.clipboard exists only in secure contexts (https, localhost).
          if (!navigator.clipboard) {
            setState("failed");
            return;
          }
          navigator.clipboard.writeText(text).then(
            () => setState("copied"),
            () => setState("failed"),
          );
        }}
      >
        {t("common.copy")}
      </button>
      <span role="status" className="muted small">
        {state === "copied" ? t("common.copied") : state === "failed" ? t("common.copyFailed") : ""}
      </span>
    </>
  );
}
