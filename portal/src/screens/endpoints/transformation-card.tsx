import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { toApiError } from "../../api/api-error.ts";
import { getTransformation, patchTransformation, simulateTransformation } from "../../api/portal-api.ts";
import type { Transformation } from "../../api/types.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { CodeBlock } from "../../components/code-block.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { LazyCodeEditor } from "../../editor/lazy-code-editor.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { parseSample, SamplePayload, useSample } from "./sample-payload.tsx";

const STARTER = `/**
 * @param webhook { eventType, payload, method, url }
 * Return it changed, or set webhook.cancel = true to skip this delivery.
 */
function handler(webhook) {
  return webhook;
}
`;

/** The transformation: JavaScript run before each delivery; edit, enable, and Simulate. */
export function TransformationCard({ endpointId }: { endpointId: string }) {
  const { can, settings } = usePortal();
  const transformation = useQuery({ queryKey: ["transformation", endpointId], queryFn: () => getTransformation(endpointId) });
  if (settings.enableTransformations === false) return null;
  if (!transformation.data) return <ErrorNotice error={transformation.error} />;
  return <TransformationEditor endpointId={endpointId} saved={transformation.data} editable={can.manageTransformations} />;
}

function TransformationEditor({ endpointId, saved, editable }: { endpointId: string; saved: Transformation; editable: boolean }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [code, setCode] = useState(saved.code ?? STARTER);
  const [sample, setSample] = useSample();
  const save = useMutation({
    mutationFn: (input: { code?: string; enabled?: boolean }) => patchTransformation(endpointId, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["transformation", endpointId] }),
  });
  const simulate = useMutation({
    mutationFn: () => {
      const payload = parseSample(sample);
      if (payload === "invalid") throw new Error(t("sample.invalidJson"));
      return simulateTransformation(endpointId, code, sample.eventType, payload);
    },
  });
  const saveError = toApiError(save.error);

  return (
    <Card
      title={t("transformation.title")}
      description={t("transformation.description")}
      actions={
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={saved.enabled}
            disabled={!editable || save.isPending || (!saved.code && !saved.enabled)}
            onChange={(event) => save.mutate({ enabled: event.target.checked })}
          />
          <span>{t("transformation.enabled")}</span>
        </label>
      }
    >
      <LazyCodeEditor value={code} onChange={setCode} label={t("transformation.code")} readOnly={!editable} />
      {editable && (
        <div className="button-row">
          <button type="button" className="btn btn-primary" disabled={save.isPending} onClick={() => save.mutate({ code })}>
            {t("transformation.save")}
          </button>
          {save.isSuccess && (
            <span role="status" className="small muted">
              {t("common.saved")}
            </span>
          )}
        </div>
      )}
      {saveError ? (
        <p className="notice notice-error" role="alert">
          {saveError.messageFor("code") ?? saveError.message}
        </p>
      ) : (
        <ErrorNotice error={save.error} />
      )}
      {editable && (
        <fieldset className="subfieldset">
          <legend>{t("transformation.simulateTitle")}</legend>
          <SamplePayload sample={sample} onChange={setSample} label={t("transformation.simulatePayload")} />
          <button type="button" className="btn" disabled={simulate.isPending} onClick={() => simulate.mutate()}>
            {t("transformation.simulate")}
          </button>
          <ErrorNotice error={simulate.error} />
          {simulate.data && (
            <div role="status" className="simulation">
              {simulate.data.cancel ? (
                <p className="notice notice-warning">{t("transformation.canceled")}</p>
              ) : (
                <>
                  <p className="mono small break">
                    {simulate.data.method ?? "POST"} {simulate.data.url}
                  </p>
                  <CodeBlock value={simulate.data.payload} label={t("transformation.resultPayload")} />
                </>
              )}
            </div>
          )}
        </fieldset>
      )}
    </Card>
  );
}
