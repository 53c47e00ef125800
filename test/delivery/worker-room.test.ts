import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";

import type { Job, Store } from "../../src/store/store.ts";
import { FAN_OUT_PART_SIZE } from "../../src/worker/fanout-job.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { makeMessage } from "../store/fixtures.ts";
import { waitUntil } from "./support.ts";

/**
 * How the worker fills its room (HERALD_WORKER_CONCURRENCY). A fan-out's own slot passes to its
 * deliveries, so a message to one endpoint goes from its fan-out straight to its delivery even
 * when the worker is full, instead of the delivery being queued, released and claimed a second
 * time; however fan-outs and claims interleave, no more requests are in flight than the room; and
 * a large fan-out's deliveries start with its first part.
 * The store is the real one, wrapped only to see the jobs claimed and released through it.
 */
describe("worker: room", () => {
  let h: TestHerald | null = null;
  let server: Server | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = null;
  });

  /**
   * A receiver that answers every request after `delayMs` (and not before `gate`, when given) and
   * counts how many it holds at once, and which URLs (path and query) it got.
   */
  async function startCountingReceiver(delayMs: number, gate: Promise<void> = Promise.resolve()) {
    const counts = { received: 0, open: 0, mostOpen: 0, urls: [] as string[] };
    server = createServer((request, response) => {
      counts.received += 1;
      counts.urls.push(request.url ?? "");
      counts.open += 1;
      counts.mostOpen = Math.max(counts.mostOpen, counts.open);
      request.resume();
      void gate.then(() =>
        setTimeout(() => {
          counts.open -= 1;
          response.end("ok");
        }, delayMs),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, counts };
  }

  /** Records the kinds of the jobs the worker claims, the jobs it hands back and the messages it reads. */
  function watchQueue(store: Store) {
    const seen = { claimed: [] as Job["kind"][], released: 0, messagesRead: 0 };
    const { claimJobs, releaseJobs, getMessagesByIds } = store;
    store.getMessagesByIds = async (refs) => {
      seen.messagesRead += refs.length;
      return getMessagesByIds(refs);
    };
    store.claimJobs = async (limit, lease) => {
      const jobs = await claimJobs(limit, lease);
      seen.claimed.push(...jobs.map((job) => job.kind));
      return jobs;
    };
    store.releaseJobs = async (jobs, runAt) => {
      seen.released += jobs.length;
      return releaseJobs(jobs, runAt);
    };
    return seen;
  }

  /**
   * Herald with its queue watched, and one application with one endpoint on a counting receiver
   * that answers after `delayMs`.
   */
  async function startWithOneEndpoint(name: string, { concurrency, delayMs = 0, gate }: { concurrency?: number; delayMs?: number; gate?: Promise<void> } = {}) {
    h = await startTestHerald(concurrency === undefined ? {} : { env: { HERALD_WORKER_CONCURRENCY: String(concurrency) } });
    const { herald, svix } = h;
    const seen = watchQueue(herald.store);
    const receiver = await startCountingReceiver(delayMs, gate);
    const app = await svix.application.create({ name });
    await svix.endpoint.create(app.id, { url: receiver.url });
    return { herald, svix, seen, receiver, app };
  }

  test("with room for one job, a message to one endpoint is delivered by its fan-out: no delivery job is released or claimed again", async () => {
    const { herald, svix, seen, receiver, app } = await startWithOneEndpoint("One slot", { concurrency: 1 });

    for (let i = 0; i < 5; i++) await svix.message.create(app.id, { eventType: "x.y", payload: { i } });
    await waitUntil("five deliveries", async () => receiver.counts.received >= 5);
    await herald.worker!.drain();

    assert.equal(receiver.counts.received, 5);
    assert.equal(seen.released, 0, "delivery jobs handed back to the queue");
    assert.deepEqual(
      seen.claimed.filter((kind) => kind !== "fanout"),
      [],
      "delivery jobs claimed by the loop: the fan-outs did not start them",
    );
    assert.equal(receiver.counts.mostOpen, 1);
  });

  test("a message accepted while the worker has room is fanned out here at once: its fan-out is neither claimed nor read back", async () => {
    const { herald, svix, seen, receiver, app } = await startWithOneEndpoint("Room");

    const messages = 10;
    await Promise.all(Array.from({ length: messages }, (_, i) => svix.message.create(app.id, { eventType: "x.y", payload: { i } })));
    await waitUntil("every delivery", async () => receiver.counts.received >= messages);
    await herald.worker!.drain();

    assert.equal(receiver.counts.received, messages);
    assert.deepEqual(seen.claimed, [], "jobs claimed from the queue");
    assert.equal(seen.messagesRead, 0, "messages read back from the store");
    assert.equal((await herald.store.queueStats(Date.now())).depth, 0);
  });

  test("a message accepted while the worker is full waits in the queue, and the worker claims it once there is room", async () => {
    // The receiver holds the first delivery until the second message is accepted, so it finds no
    // room however slow the machine (a fixed delay let it find room on a loaded one).
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { herald, svix, seen, receiver, app } = await startWithOneEndpoint("Full", { concurrency: 1, gate });

    await svix.message.create(app.id, { eventType: "x.y", payload: { first: true } });
    await waitUntil("the first delivery under way", async () => receiver.counts.open === 1);
    await svix.message.create(app.id, { eventType: "x.y", payload: { first: false } });
    release();
    await waitUntil("both deliveries", async () => receiver.counts.received >= 2);
    await herald.worker!.drain();

    assert.equal(receiver.counts.received, 2);
    // The second message's fan-out is claimed from the queue. (The first one's usually is not: it
    // is handed to the idle worker; but a worker in the middle of a poll has no room to offer, and
    // then it too waits for the claim.)
    assert.ok(seen.claimed.length >= 1 && seen.claimed.every((kind) => kind === "fanout"), `claimed: ${seen.claimed.join(", ")}`);
    assert.equal(seen.messagesRead, seen.claimed.length, "each claimed fan-out reads its message");
    assert.equal(receiver.counts.mostOpen, 1);
  });

  test("a slot whose message is stored after the worker stopped hands the fan-out back to the queue, for any worker", async () => {
    h = await startTestHerald();
    const app = await h.svix.application.create({ name: "Stopping" });
    const { worker, store } = h.herald;
    const slot = worker!.reserveFanOut();
    assert.ok(slot);
    await worker!.stop();
    assert.equal(worker!.reserveFanOut(), null, "a slot from a stopped worker");

    const message = makeMessage(app.id, { createdAt: Date.now() });
    const job = await store.createMessage(message, slot.lease);
    assert.ok(job);
    slot.start(job, message);
    const other = { workerId: "another", now: Date.now() + 1_000, leaseMs: 30_000 };
    await waitUntil("the fan-out back in the queue", async () => (await store.queueStats(other.now)).due === 1);
    assert.deepEqual((await store.claimJobs(10, other)).map((claimed) => [claimed.kind, claimed.msgId]), [["fanout", message.id]]);
  });

  test("fan-outs to many endpoints and the loop's claims together never hold more requests open than the room", async () => {
    const room = 3;
    h = await startTestHerald({ env: { HERALD_WORKER_CONCURRENCY: String(room) } });
    const seen = watchQueue(h.herald.store);
    // Answers slowly enough that requests overlap, so the room is what limits them.
    const receiver = await startCountingReceiver(30);
    const app = await h.svix.application.create({ name: "Three slots" });
    for (let i = 0; i < 4; i++) await h.svix.endpoint.create(app.id, { url: `${receiver.url}?endpoint=${i}` });

    const messages = 20;
    await Promise.all(Array.from({ length: messages }, (_, i) => h!.svix.message.create(app.id, { eventType: "x.y", payload: { i } })));
    await waitUntil("every delivery", async () => receiver.counts.received >= messages * 4, 30_000);
    await h.herald.worker!.drain();

    assert.equal(receiver.counts.received, messages * 4);
    assert.ok(receiver.counts.mostOpen <= room, `${receiver.counts.mostOpen} requests open at once with room for ${room}`);
    assert.ok(receiver.counts.mostOpen > 1, "requests never overlapped: the test did not fill the room");
    // Deliveries beyond a fan-out's room stay queued (or go back) and are claimed by the loop.
    assert.ok(seen.claimed.includes("deliver"));
  });

  test("a fan-out to more endpoints than one part starts delivering before its last part is written, and reaches each endpoint once", async () => {
    h = await startTestHerald({ env: { HERALD_WORKER_CONCURRENCY: "50" } });
    const receiver = await startCountingReceiver(0);
    const app = await h.svix.application.create({ name: "Parts" });
    const endpoints = FAN_OUT_PART_SIZE + 5;
    for (let from = 0; from < endpoints; from += 50) {
      const batch = Array.from({ length: Math.min(50, endpoints - from) }, (_, i) => from + i);
      await Promise.all(batch.map((i) => h!.svix.endpoint.create(app.id, { url: `${receiver.url}?endpoint=${i}` })));
    }
    // The last part is held back until a delivery has arrived: written all at once, the fan-out
    // would never deliver anything.
    const parts: boolean[] = [];
    const store = h.herald.store;
    const { fanOut } = store;
    store.fanOut = async (job, targets, lease, claimLimit, options) => {
      parts.push(options?.moreToCome ?? false);
      if (!options?.moreToCome) await waitUntil("a delivery before the last part", async () => receiver.counts.received > 0);
      return fanOut(job, targets, lease, claimLimit, options);
    };

    await h.svix.message.create(app.id, { eventType: "x.y", payload: {} });
    await waitUntil("every delivery", async () => receiver.counts.received >= endpoints, 60_000);
    await h.herald.worker!.drain();

    assert.deepEqual(parts, [true, false]);
    assert.equal(receiver.counts.received, endpoints);
    assert.equal(new Set(receiver.counts.urls).size, endpoints, "an endpoint got two deliveries");
  });
});
