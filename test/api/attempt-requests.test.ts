import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { MessageOut } from "svix";

import { eventually, raw, useHerald, useReceiver } from "./api-helpers.ts";

interface AttemptOut {
  msgId: string;
  request: { body: string | null };
}

/** An attempt shows the request it made, body included, whichever list it is read from. */
describe("attempts: the request as sent", () => {
  const herald = useHerald();
  const receiver = useReceiver();

  test("by message and by endpoint, each attempt carries its message's payload (or none without content)", async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "Requests" });
    const endpoint = await h.svix.endpoint.create(app.id, { url: `${receiver().url}/requests` });
    const sent: MessageOut[] = [];
    for (let i = 0; i < 3; i++) sent.push(await h.svix.message.create(app.id, { eventType: "requests.test", payload: { i } }));
    await receiver().waitFor(3);
    const byEndpoint = await eventually(
      async () => (await raw(h)("GET", `/api/v1/app/${app.id}/attempt/endpoint/${endpoint.id}`)).body as { data: AttemptOut[] },
      (list) => list.data.length === 3,
    );
    for (const attempt of byEndpoint.data) {
      const message = sent.find((item) => item.id === attempt.msgId);
      assert.ok(message);
      assert.deepEqual(JSON.parse(attempt.request.body ?? "null"), message.payload);
    }
    const byMessage = (await raw(h)("GET", `/api/v1/app/${app.id}/attempt/msg/${sent[0].id}`)).body as { data: AttemptOut[] };
    assert.deepEqual(JSON.parse(byMessage.data[0].request.body ?? "null"), { i: 0 });
    const bare = (await raw(h)("GET", `/api/v1/app/${app.id}/attempt/endpoint/${endpoint.id}?with_content=false`)).body as { data: AttemptOut[] };
    assert.deepEqual(bare.data.map((attempt) => attempt.request.body), [null, null, null]);
  });
});
