import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { recover, replayMissing } from "../../api/portal-api.ts";
import type { BackgroundTask } from "../../api/types.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";

const HOUR_MS = 3_600_000;

/** A datetime-local value (local time, minutes) for a moment. */
function localInputValue(time: number): string {
  const date = new Date(time);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(time - offset).toISOString().slice(0, 16);
}

/** Recover failed messages, or replay the ones never sent, since a time (at most 14 days back). */
export function ReplayCard({ endpointId }: { endpointId: string }) {
  const t = useT();
  const { can } = usePortal();
  const [since, setSince] = useState(() => localInputValue(Date.now() - 24 * HOUR_MS));
  const [minimum] = useState(() => localInputValue(Date.now() - 14 * 24 * HOUR_MS));
  const [started, setStarted] = useState<{ kind: "recover" | "replay"; task: BackgroundTask } | null>(null);
  const run = useMutation({
    mutationFn: async (kind: "recover" | "replay") => {
      const from = new Date(since);
      const task = kind === "recover" ? await recover(endpointId, from) : await replayMissing(endpointId, from);
      return { kind, task };
    },
    onSuccess: setStarted,
  });
  if (!can.createAttempts) return null;

  return (
    <Card title={t("replay.title")} description={t("replay.description")}>
      <div className="inline-form">
        <Field label={t("replay.since")}>
          {(control) => (
            <input {...control} type="datetime-local" className="input" min={minimum} value={since} onChange={(event) => setSince(event.target.value)} />
          )}
        </Field>
        <div className="button-row">
          <button type="button" className="btn" disabled={run.isPending || !since} onClick={() => run.mutate("recover")}>
            {t("replay.recover")}
          </button>
          <button type="button" className="btn" disabled={run.isPending || !since} onClick={() => run.mutate("replay")}>
            {t("replay.replayMissing")}
          </button>
        </div>
      </div>
      {started && (
        <p className="notice notice-success" role="status">
          {t(started.kind === "recover" ? "replay.recoverStarted" : "replay.replayStarted", { task: started.task.id })}
        </p>
      )}
      <ErrorNotice error={run.error} />
    </Card>
  );
}
