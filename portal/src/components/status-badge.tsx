import type { DeliveryStatus } from "../api/types.ts";
import { type MessageKey, useT } from "../i18n/i18n-context.tsx";

const STATUS: Record<DeliveryStatus, { key: MessageKey; tone: string }> = {
  0: { key: "status.success", tone: "success" },
  1: { key: "status.pending", tone: "neutral" },
  2: { key: "status.fail", tone: "danger" },
  3: { key: "status.sending", tone: "warning" },
  4: { key: "status.canceled", tone: "neutral" },
};

export function Badge({ tone, children }: { tone: string; children: string }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  const t = useT();
  const { key, tone } = STATUS[status] ?? STATUS[1];
  return <Badge tone={tone}>{t(key)}</Badge>;
}

export function HttpStatus({ code }: { code: number }) {
  const t = useT();
  if (code === 0) return <Badge tone="danger">{t("attempts.noResponse")}</Badge>;
  const tone = code < 300 ? "success" : code < 500 ? "warning" : "danger";
  return <Badge tone={tone}>{String(code)}</Badge>;
}
