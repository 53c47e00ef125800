import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation } from "wouter";

import { toApiError } from "../../api/api-error.ts";
import { useEventTypes, useProfiles } from "../../api/catalog-queries.ts";
import { createEndpoint, type EndpointInput, getEndpoint, patchEndpoint } from "../../api/portal-api.ts";
import type { Endpoint } from "../../api/types.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";
import { EventTypePicker } from "./event-type-picker.tsx";
import { channelsProblem, MAX_CHANNELS, parseChannels, urlProblem } from "./url-check.ts";

interface Draft {
  url: string;
  description: string;
  eventTypes: string[] | null;
  channels: string;
  profile: string;
  throttleRate: string;
}

function draftOf(endpoint: Endpoint | undefined): Draft {
  return {
    url: endpoint?.url ?? "",
    description: endpoint?.description ?? "",
    eventTypes: endpoint ? (endpoint.eventTypes ?? endpoint.filterTypes ?? null) : null,
    channels: endpoint?.channels?.join(", ") ?? "",
    profile: endpoint?.profile ?? "standard",
    throttleRate: endpoint?.throttleRate ? String(endpoint.throttleRate) : "",
  };
}

/** Add endpoint, or edit one (`endpointId`): URL checked as typed and by the server. */
export function EndpointFormPage({ endpointId }: { endpointId?: string }) {
  const existing = useQuery({ queryKey: ["endpoint", endpointId], queryFn: () => getEndpoint(endpointId!), enabled: Boolean(endpointId) });
  if (endpointId && !existing.data) return existing.isPending ? <LoadingLine /> : <ErrorNotice error={existing.error} />;
  return <EndpointForm key={endpointId ?? "new"} endpoint={existing.data} />;
}

function LoadingLine() {
  const t = useT();
  return <p role="status">{t("common.loading")}</p>;
}

function EndpointForm({ endpoint }: { endpoint?: Endpoint }) {
  const t = useT();
  const { settings } = usePortal();
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const eventTypes = useEventTypes();
  const profiles = useProfiles();
  const [draft, setDraft] = useState<Draft>(() => draftOf(endpoint));
  const [touched, setTouched] = useState(false);
  const set = <K extends keyof Draft>(name: K, value: Draft[K]) => setDraft((current) => ({ ...current, [name]: value }));

  const save = useMutation({
    mutationFn: (input: EndpointInput) => (endpoint ? patchEndpoint(endpoint.id, input) : createEndpoint(input)),
    onSuccess: (saved) => {
      queryClient.invalidateQueries({ queryKey: ["endpoints"] });
      queryClient.setQueryData(["endpoint", saved.id], saved);
      navigate(`/endpoints/${saved.id}`);
    },
  });

  const channels = parseChannels(draft.channels);
  const localUrlProblem = urlProblem(draft.url);
  const serverError = toApiError(save.error);
  const urlError = (touched && localUrlProblem ? t(localUrlProblem) : null) ?? serverError?.messageFor("url") ?? null;
  const channelError = channelsProblem(channels);
  const rate = draft.throttleRate.trim() === "" ? null : Number(draft.throttleRate);
  const rateInvalid = rate !== null && (!Number.isInteger(rate) || rate < 1 || rate > 65535);
  const eventTypesMissing = draft.eventTypes !== null && draft.eventTypes.length === 0;
  const showChannels = settings.enableChannels !== false;
  const otherServerProblems = serverError?.fieldProblems.filter((problem) => problem.loc[problem.loc.length - 1] !== "url") ?? [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (localUrlProblem || channelError || rateInvalid || eventTypesMissing) return;
    save.mutate({
      url: draft.url.trim(),
      description: draft.description,
      eventTypes: draft.eventTypes,
      ...(showChannels ? { channels: channels.length ? channels : null } : {}),
      profile: draft.profile,
      throttleRate: rate,
    });
  };

  return (
    <section className="detail-pane" aria-labelledby="endpoint-form-heading">
      <header className="page-header">
        <h1 id="endpoint-form-heading">{endpoint ? t("form.editTitle") : t("form.addTitle")}</h1>
      </header>
      <form className="card form" onSubmit={submit} noValidate>
        <Field label={t("form.url")} hint={t("form.urlHint")} error={urlError}>
          {(control) => (
            <input
              {...control}
              type="url"
              inputMode="url"
              autoComplete="url"
              className="input mono"
              placeholder="https://example.com/webhooks"
              value={draft.url}
              onChange={(event) => {
                set("url", event.target.value);
                setTouched(true);
              }}
            />
          )}
        </Field>
        <Field label={t("form.description")}>
          {(control) => (
            <input {...control} className="input" value={draft.description} onChange={(event) => set("description", event.target.value)} />
          )}
        </Field>
        {eventTypes.data && <EventTypePicker eventTypes={eventTypes.data} value={draft.eventTypes} onChange={(value) => set("eventTypes", value)} />}
        {showChannels && (
          <Field
            label={t("form.channels")}
            hint={t("form.channelsHint", { max: MAX_CHANNELS })}
            error={channelError ? t(channelError, { max: MAX_CHANNELS }) : (serverError?.messageFor("channels") ?? null)}
          >
            {(control) => (
              <input {...control} className="input mono" value={draft.channels} onChange={(event) => set("channels", event.target.value)} />
            )}
          </Field>
        )}
        <Field
          label={t("form.profile")}
          hint={profiles.data?.find((profile) => profile.name === draft.profile)?.description}
          error={serverError?.messageFor("profile") ?? null}
        >
          {(control) => (
            <select {...control} className="input" value={draft.profile} onChange={(event) => set("profile", event.target.value)}>
              {(profiles.data ?? [{ name: draft.profile, description: "", notes: [] }]).map((profile) => (
                <option key={profile.name} value={profile.name}>
                  {profile.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label={t("form.rateLimit")}
          hint={t("form.rateLimitHint")}
          error={rateInvalid ? t("form.rateLimitInvalid") : (serverError?.messageFor("throttleRate") ?? null)}
        >
          {(control) => (
            <input
              {...control}
              className="input"
              inputMode="numeric"
              value={draft.throttleRate}
              onChange={(event) => set("throttleRate", event.target.value)}
            />
          )}
        </Field>
        {otherServerProblems.length > 0 && (
          <ul className="notice notice-error" role="alert">
            {otherServerProblems.map((problem) => (
              <li key={problem.loc.join(".")}>
                <code>{problem.loc.slice(1).join(".")}</code>: {problem.msg}
              </li>
            ))}
          </ul>
        )}
        {serverError === null && <ErrorNotice error={save.error} />}
        {serverError && serverError.fieldProblems.length === 0 && <ErrorNotice error={save.error} />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {endpoint ? t("form.save") : t("form.create")}
          </button>
          <Link href={endpoint ? `/endpoints/${endpoint.id}` : "/endpoints"} className="btn">
            {t("common.cancel")}
          </Link>
        </div>
      </form>
    </section>
  );
}
