import type { PortalWorld } from "./support.ts";

/**
 * Realistic data for screenshots and the screens' tests: three endpoints (one healthy, one whose
 * receiver answers 500, one disabled), custom headers, and a few dozen messages of several
 * event types, so every list, chart and attempt view has something true to show.
 */

export interface SeededData {
  healthyEndpointId: string;
  failingEndpointId: string;
  disabledEndpointId: string;
  messageIds: string[];
  /** A message the failing endpoint refused: its detail shows a failed attempt beside a successful one. */
  failedMessageId: string;
}

const CUSTOMERS = ["Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Hedy Lamarr", "Margaret Hamilton"];

export async function seedRealisticData(world: PortalWorld): Promise<SeededData> {
  const { h, appId, receiver } = world;
  receiver.respond = (request) =>
    request.path.startsWith("/failing")
      ? { status: 500, headers: { "content-type": "application/json" }, body: '{"error":"database unavailable"}' }
      : { status: 200, headers: { "content-type": "application/json" }, body: '{"received":true}' };

  const healthy = await h.svix.endpoint.create(appId, {
    url: `${receiver.url}/webhooks/invoices`,
    description: "Accounting sync (production)",
    filterTypes: ["invoice.paid", "invoice.created"],
  });
  await h.svix.endpoint.updateHeaders(appId, healthy.id, { headers: { "X-Team": "finance", Authorization: "Bearer sk_live_abc123" } });
  const failing = await h.svix.endpoint.create(appId, {
    url: `${receiver.url}/failing/crm`,
    description: "CRM importer",
    filterTypes: ["customer.updated", "invoice.paid"],
  });
  const disabled = await h.svix.endpoint.create(appId, {
    url: `${receiver.url}/webhooks/legacy`,
    description: "Legacy ERP bridge",
    disabled: true,
  });

  const messageIds: string[] = [];
  for (let index = 0; index < 24; index++) {
    const customer = CUSTOMERS[index % CUSTOMERS.length];
    const eventType = index % 3 === 0 ? "customer.updated" : index % 3 === 1 ? "invoice.created" : "invoice.paid";
    const payload =
      eventType === "customer.updated"
        ? { customerId: `cus_${100 + index}`, name: customer, email: `${customer.split(" ")[0].toLowerCase()}@example.test` }
        : { invoiceId: `inv_${2000 + index}`, customer, amount: 40 + index * 7.5, currency: "EUR" };
    const message = await h.svix.message.create(appId, {
      eventType,
      eventId: `evt_${3000 + index}`,
      channels: index % 2 === 0 ? ["eu-west"] : undefined,
      payload,
    });
    messageIds.push(message.id);
  }
  const failedMessageId = messageIds[2];
  await waitForAttempts(world, messageIds);
  return { healthyEndpointId: healthy.id, failingEndpointId: failing.id, disabledEndpointId: disabled.id, messageIds, failedMessageId };
}

async function waitForAttempts(world: PortalWorld, messageIds: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const id of messageIds) {
    for (;;) {
      const attempts = await world.h.svix.messageAttempt.listByMsg(world.appId, id);
      if (attempts.data.length > 0) break;
      if (Date.now() > deadline) throw new Error(`no attempt recorded for ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
