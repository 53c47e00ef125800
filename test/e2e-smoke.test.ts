import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Webhook } from "svix";

import { startTestHerald, type TestHerald } from "./helpers/herald.ts";
import { type Receiver, startReceiver } from "./helpers/receiver.ts";

// Outbound requests are made in a thread of their own by default; HERALD_SENDER_THREAD=false makes
// them on the main thread. Both must deliver.
for (const senderThread of ["true", "false"]) describe(`smoke: a message reaches a receiver, signed (HERALD_SENDER_THREAD=${senderThread})`, () => {
  let h: TestHerald;
  let receiver: Receiver;
  before(async () => {
    h = await startTestHerald({ env: { HERALD_SENDER_THREAD: senderThread } });
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  test("create app, endpoint, message; verify with svix Webhook", async () => {
    const app = await h.svix.application.create({ name: "Acme", uid: "acme" });
    await h.svix.eventType.create({ name: "invoice.paid", description: "An invoice was paid" });
    const endpoint = await h.svix.endpoint.create(app.id, { url: receiver.url + "/hook", filterTypes: ["invoice.paid"] });
    const message = await h.svix.message.create("acme", { eventType: "invoice.paid", payload: { id: "inv_1", amount: 42 } });
    const [request] = await receiver.waitFor(1);
    const secret = await h.svix.endpoint.getSecret(app.id, endpoint.id);
    const verified = new Webhook(secret.key).verify(request.body, request.headers as Record<string, string>) as { id: string };
    assert.equal(verified.id, "inv_1");
    assert.equal(request.headers["webhook-id"], message.id);
  });
});
