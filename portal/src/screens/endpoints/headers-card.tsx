import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { getHeaders, patchHeaders } from "../../api/portal-api.ts";
import { usePortal } from "../../auth/session-context.tsx";
import { Card } from "../../components/card.tsx";
import { ErrorNotice } from "../../components/error-notice.tsx";
import { Field } from "../../components/field.tsx";
import { useT } from "../../i18n/i18n-context.tsx";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Custom headers sent with every request; sensitive values come back masked from the API. */
export function HeadersCard({ endpointId }: { endpointId: string }) {
  const t = useT();
  const { can } = usePortal();
  const queryClient = useQueryClient();
  const headers = useQuery({ queryKey: ["headers", endpointId], queryFn: () => getHeaders(endpointId) });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const change = useMutation({
    mutationFn: (input: { set?: Record<string, string>; remove?: string[] }) => patchHeaders(endpointId, input.set ?? {}, input.remove ?? []),
    onSuccess: () => {
      setName("");
      setValue("");
      queryClient.invalidateQueries({ queryKey: ["headers", endpointId] });
    },
  });
  const nameInvalid = name !== "" && !HEADER_NAME.test(name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name || nameInvalid) return;
    change.mutate({ set: { [name]: value } });
  };
  // The API leaves sensitive values out and names them in `sensitive`; they are shown masked.
  const shown = headers.data?.headers ?? {};
  const masked = (headers.data?.sensitive ?? []).filter((name) => !(name in shown)).map((name): [string, string] => [name, "••••••••"]);
  const entries = [...Object.entries(shown), ...masked];
  const sensitive = new Set((headers.data?.sensitive ?? []).map((header) => header.toLowerCase()));

  return (
    <Card title={t("headers.title")} description={t("headers.description")}>
      <ErrorNotice error={headers.error} />
      {headers.isSuccess && entries.length === 0 && <p className="muted">{t("headers.empty")}</p>}
      {entries.length > 0 && (
        <table className="kv">
          <caption className="visually-hidden">{t("headers.title")}</caption>
          <tbody>
            {entries.map(([header, headerValue]) => (
              <tr key={header}>
                <th scope="row" className="mono">
                  {header}
                </th>
                <td className="mono break">
                  {headerValue}
                  {sensitive.has(header.toLowerCase()) && <span className="muted small"> ({t("headers.sensitive")})</span>}
                </td>
                {can.manageEndpoint && (
                  <td className="cell-action">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={t("headers.remove", { name: header })}
                      onClick={() => change.mutate({ remove: [header] })}
                    >
                      {t("common.remove")}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can.manageEndpoint && (
        <form className="inline-form" onSubmit={submit}>
          <Field label={t("headers.name")} error={nameInvalid ? t("headers.nameInvalid") : null}>
            {(control) => <input {...control} className="input mono" value={name} onChange={(event) => setName(event.target.value)} />}
          </Field>
          <Field label={t("headers.value")}>
            {(control) => <input {...control} className="input mono" value={value} onChange={(event) => setValue(event.target.value)} />}
          </Field>
          <button type="submit" className="btn" disabled={!name || nameInvalid || change.isPending}>
            {t("headers.add")}
          </button>
        </form>
      )}
      <ErrorNotice error={change.error} />
    </Card>
  );
}
