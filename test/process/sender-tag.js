// Preloaded (`node --import`) into Herald worker processes by the multi-worker test, never into
// Herald itself: tags every request undici sends with this process's pid, so a receiver can count
// deliveries per worker. It uses undici's documented `undici:request:create` diagnostics channel
// and adds one header, outside anything the webhook signature covers.
import diagnosticsChannel from "node:diagnostics_channel";

diagnosticsChannel.subscribe("undici:request:create", ({ request }) => {
  request.addHeader("x-herald-test-sender", String(process.pid));
});
