import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { toApiError } from "../../api/api-error.ts";
import { patchEndpoint } from "../../api/portal-api.ts";
import type { Endpoint, HttpMethod } from "../../api/types.ts";
import { useEditableOption } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { CodeBlock } from "../../components/code-block.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { draftOf, type DraftProblems, type OptionsDraft, parseFilter, toInput } from "./delivery-options-draft.ts";
import { testFilter } from "./filter-test.ts";
import { parseSample, SamplePayload, useSample } from "./sample-payload.tsx";
import { previewTemplate } from "./template-preview.ts";

const METHODS: HttpMethod[] = ["POST", "PUT", "PATCH", "DELETE"];
/** Fields whose server message is shown beside them; any other goes in the list above Save. */
const PLACED = ["method", "timeoutMs", "retrySchedule", "retryForever", "acceptStatus", "readyField", "watchFields", "batch", "body", "template", "filter"];

/**
 * Herald's advanced delivery options, limited to those the operator lets consumers edit
 * (editableDeliveryOptions); every option's effective value (the profile's when unset) is shown.
 */
export function DeliveryOptionsCard({ endpoint }: { endpoint: Endpoint }) {
  const t = useT();
  const editable = useEditableOption();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<OptionsDraft>(() => draftOf(endpoint));
  const [problems, setProblems] = useState<DraftProblems>({});
  const [sample, setSample] = useSample();
  const [preview, setPreview] = useState<{ kind: "template" | "filter"; text: string; ok: boolean } | null>(null);
  const set = <K extends keyof OptionsDraft>(name: K, value: OptionsDraft[K]) => setDraft((current) => ({ ...current, [name]: value }));
  const save = useMutation({
    mutationFn: (input: Parameters<typeof patchEndpoint>[1]) => patchEndpoint(endpoint.id, input),
    onSuccess: (saved) => {
      queryClient.setQueryData(["endpoint", endpoint.id], saved);
      setDraft(draftOf(saved));
    },
  });
  const serverError = toApiError(save.error);
  const serverMessage = (field: string) => serverError?.messageFor(field) ?? null;
  const unplaced = (serverError?.fieldProblems ?? []).filter((problem) => !PLACED.includes(String(problem.loc[problem.loc.length - 1])));
  const problemText = (field: keyof OptionsDraft) => {
    const problem = problems[field];
    return problem ? t(`options.problem.${problem}`) : null;
  };
  const anyEditable = ["method", "timeoutMs", "retrySchedule", "retryForever", "acceptStatus", "body", "filter", "batch", "ordering", "watchFields", "readyField"].some(editable);
  const effective = endpoint.effectiveOptions;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = toInput(draft, editable);
    if ("problems" in result) {
      setProblems(result.problems);
      return;
    }
    setProblems({});
    save.mutate(result.input);
  };

  const runPreview = async (kind: "template" | "filter") => {
    const payload = parseSample(sample);
    if (payload === "invalid") return;
    try {
      if (kind === "template") {
        setPreview({ kind, text: await previewTemplate(draft.template, endpoint, sample.eventType, payload), ok: true });
      } else {
        const filter = parseFilter(draft.filter);
        if (filter === "invalid" || filter === null) {
          setPreview({ kind, text: t("options.problem.json"), ok: false });
          return;
        }
        const matches = await testFilter(filter, { eventType: sample.eventType, payload, channels: [], metadata: {}, previous: null });
        setPreview({ kind, text: matches ? t("options.filterMatches") : t("options.filterNoMatch"), ok: matches });
      }
    } catch (error) {
      setPreview({ kind, text: error instanceof Error ? error.message : String(error), ok: false });
    }
  };

  return (
    <Card title={t("options.title")} description={t("options.description")}>
      <details className="effective">
        <summary>{t("options.effective")}</summary>
        <CodeBlock value={effective} label={t("options.effective")} />
      </details>
      {!anyEditable && <p className="muted">{t("options.noneEditable")}</p>}
      {anyEditable && (
        <form className="form" onSubmit={submit} noValidate>
          <div className="form-grid">
            {editable("method") && (
              <Field label={t("options.method")} error={serverMessage("method")}>
                {(control) => (
                  <select {...control} className="input" value={draft.method} onChange={(event) => set("method", event.target.value as OptionsDraft["method"])}>
                    <option value="">{t("options.profileDefault", { value: effective.method ?? "POST" })}</option>
                    {METHODS.map((method) => (
                      <option key={method} value={method}>
                        {method}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            {editable("timeoutMs") && (
              <Field label={t("options.timeout")} hint={t("options.timeoutHint", { value: effective.timeoutMs ?? "" })} error={problemText("timeoutMs") ?? serverMessage("timeoutMs")}>
                {(control) => <input {...control} className="input" inputMode="numeric" value={draft.timeoutMs} onChange={(event) => set("timeoutMs", event.target.value)} />}
              </Field>
            )}
            {editable("retrySchedule") && (
              <Field
                label={t("options.retrySchedule")}
                hint={t("options.retryScheduleHint", { value: effective.retrySchedule?.join(", ") ?? "" })}
                error={problemText("retrySchedule") ?? serverMessage("retrySchedule")}
              >
                {(control) => <input {...control} className="input mono" value={draft.retrySchedule} onChange={(event) => set("retrySchedule", event.target.value)} />}
              </Field>
            )}
            {editable("retryForever") && (
              <Field label={t("options.retryForever")} error={serverMessage("retryForever")}>
                {(control) => (
                  <select {...control} className="input" value={draft.retryForever} onChange={(event) => set("retryForever", event.target.value as OptionsDraft["retryForever"])}>
                    <option value="">{t("options.profileDefault", { value: effective.retryForever ? t("common.yes") : t("common.no") })}</option>
                    <option value="true">{t("options.retryForeverYes")}</option>
                    <option value="false">{t("options.retryForeverNo")}</option>
                  </select>
                )}
              </Field>
            )}
            {editable("acceptStatus") && (
              <Field label={t("options.acceptStatus")} error={serverMessage("acceptStatus")}>
                {(control) => (
                  <select {...control} className="input" value={draft.acceptStatus} onChange={(event) => set("acceptStatus", event.target.value as OptionsDraft["acceptStatus"])}>
                    <option value="">{t("options.profileDefault", { value: effective.acceptStatus ?? "2xx" })}</option>
                    <option value="2xx">{t("options.accept2xx")}</option>
                    <option value="200">{t("options.accept200")}</option>
                    <option value="<400">{t("options.accept400")}</option>
                  </select>
                )}
              </Field>
            )}
            {editable("readyField") && (
              <Field label={t("options.readyField")} hint={t("options.readyFieldHint")} error={serverMessage("readyField")}>
                {(control) => <input {...control} className="input mono" value={draft.readyField} onChange={(event) => set("readyField", event.target.value)} />}
              </Field>
            )}
            {editable("watchFields") && (
              <Field label={t("options.watchFields")} hint={t("options.watchFieldsHint")} error={serverMessage("watchFields")}>
                {(control) => <input {...control} className="input mono" value={draft.watchFields} onChange={(event) => set("watchFields", event.target.value)} />}
              </Field>
            )}
          </div>
          {editable("ordering") && (
            <label className="check">
              <input type="checkbox" checked={draft.fifo} onChange={(event) => set("fifo", event.target.checked)} />
              <span>
                {t("options.fifo")} <span className="muted small">{t("options.fifoHint")}</span>
              </span>
            </label>
          )}
          {editable("batch") && (
            <fieldset className="subfieldset">
              <legend>{t("options.batching")}</legend>
              <label className="check">
                <input type="checkbox" checked={draft.batch} onChange={(event) => set("batch", event.target.checked)} />
                <span>{t("options.batchEnable")}</span>
              </label>
              {draft.batch && (
                <div className="form-grid">
                  <Field label={t("options.batchMaxSize")} error={problemText("batchMaxSize")}>
                    {(control) => <input {...control} className="input" inputMode="numeric" value={draft.batchMaxSize} onChange={(event) => set("batchMaxSize", event.target.value)} />}
                  </Field>
                  <Field label={t("options.batchMaxWait")} error={problemText("batchMaxWaitMs") ?? serverMessage("batch")}>
                    {(control) => <input {...control} className="input" inputMode="numeric" value={draft.batchMaxWaitMs} onChange={(event) => set("batchMaxWaitMs", event.target.value)} />}
                  </Field>
                </div>
              )}
            </fieldset>
          )}
          {editable("body") && (
            <Field label={t("options.bodyTemplate")} hint={t("options.bodyTemplateHint")} error={serverMessage("body") ?? serverMessage("template")}>
              {(control) => (
                <textarea {...control} className="input mono" rows={5} spellCheck={false} value={draft.template} onChange={(event) => set("template", event.target.value)} />
              )}
            </Field>
          )}
          {editable("filter") && (
            <Field label={t("options.filter")} hint={t("options.filterHint")} error={problemText("filter") ?? serverMessage("filter")}>
              {(control) => (
                <textarea {...control} className="input mono" rows={4} spellCheck={false} value={draft.filter} onChange={(event) => set("filter", event.target.value)} />
              )}
            </Field>
          )}
          {(editable("body") || editable("filter")) && (
            <fieldset className="subfieldset">
              <legend>{t("options.tryIt")}</legend>
              <SamplePayload sample={sample} onChange={setSample} label={t("options.testPayload")} />
              <div className="button-row">
                {editable("body") && (
                  <button type="button" className="btn" disabled={!draft.template.trim()} onClick={() => runPreview("template")}>
                    {t("options.previewTemplate")}
                  </button>
                )}
                {editable("filter") && (
                  <button type="button" className="btn" disabled={!draft.filter.trim()} onClick={() => runPreview("filter")}>
                    {t("options.testFilter")}
                  </button>
                )}
              </div>
              {preview && (
                <div role="status">
                  {preview.kind === "template" && preview.ok ? (
                    <CodeBlock value={preview.text} label={t("options.previewResult")} />
                  ) : (
                    <p className={preview.ok ? "notice notice-success" : "notice notice-error"}>{preview.text}</p>
                  )}
                </div>
              )}
            </fieldset>
          )}
          {serverError && serverError.fieldProblems.length === 0 && <ErrorNotice error={save.error} />}
          {!serverError && <ErrorNotice error={save.error} />}
          {unplaced.length > 0 && (
            <ul className="notice notice-error" role="alert">
              {unplaced.map((problem) => (
                <li key={problem.loc.join(".")}>
                  <code>{problem.loc.slice(1).join(".")}</code>: {problem.msg}
                </li>
              ))}
            </ul>
          )}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={save.isPending}>
              {t("options.save")}
            </button>
            {save.isSuccess && (
              <span role="status" className="small muted">
                {t("common.saved")}
              </span>
            )}
          </div>
        </form>
      )}
    </Card>
  );
}
