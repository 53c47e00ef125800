import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";

import { useEventTypes } from "../../api/catalog-queries.ts";
import { sendExample } from "../../api/portal-api.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { CodeBlock } from "../../components/code-block.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { exampleOf } from "../catalog/example-of.ts";

/** Send example: an event type's schema example goes to this endpoint; its attempt appears below. */
export function SendExampleCard({ endpointId, subscribed }: { endpointId: string; subscribed: string[] | null }) {
  const t = useT();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const eventTypes = useEventTypes();
  const [chosen, setChosen] = useState("");
  // The first event type the endpoint subscribes to (exactly, or by its group's `prefix.*`), else the first of all.
  const receives = (name: string) => !subscribed || subscribed.some((filter) => filter === name || filter === "*" || (filter.endsWith(".*") && name.startsWith(filter.slice(0, -1))));
  const eventTypeName = chosen || eventTypes.data?.find((candidate) => receives(candidate.name))?.name || eventTypes.data?.[0]?.name || "";
  const eventType = eventTypes.data?.find((candidate) => candidate.name === eventTypeName);
  const send = useMutation({
    mutationFn: () => sendExample(endpointId, eventTypeName),
    onSuccess: () => {
      queryClient.invalidateQueries({ queryKey: ["attempts", endpointId] });
      queryClient.invalidateQueries({ queryKey: ["endpoint-stats", endpointId] });
    },
  });
  if (!can.createAttempts) return null;

  return (
    <Card title={t("testing.title")} description={t("testing.description")}>
      {eventTypes.data?.length === 0 && <p className="muted">{t("testing.noEventTypes")}</p>}
      {eventTypes.data && eventTypes.data.length > 0 && (
        <>
          <div className="inline-form">
            <Field label={t("testing.eventType")}>
              {(control) => (
                <select {...control} className="input" value={eventTypeName} onChange={(event) => setChosen(event.target.value)}>
                  {eventTypes.data.map((candidate) => (
                    <option key={candidate.name} value={candidate.name}>
                      {candidate.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="button" className="btn btn-primary" disabled={send.isPending || !eventTypeName} onClick={() => send.mutate()}>
              {t("testing.send")}
            </button>
          </div>
          <h3 className="subheading">{t("testing.payload")}</h3>
          <CodeBlock value={exampleOf(eventType?.schemas ?? null)} label={t("testing.payload")} />
        </>
      )}
      {send.data && (
        <p className="notice notice-success" role="status">
          {t("testing.sent")}{" "}
          <Link href={`/messages/${send.data.id}`} className="mono">
            {send.data.id}
          </Link>
        </p>
      )}
      <ErrorNotice error={send.error} />
    </Card>
  );
}
