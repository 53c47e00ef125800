-- Herald SQLite schema, version 3: what hosted-Svix consumers use (issue 5): transformations, mTLS
-- identities and enforced rate limits on endpoints, retry schedules on event types, and the rate
-- slot a postponed delivery keeps in the queue. Every new column has a default (or is nullable),
-- so existing rows need no backfill.

-- Transformations: JavaScript defining handler(webhook), run in a sandbox before each delivery
-- while enabled (see EndpointTransformation in src/domain/types.ts).
ALTER TABLE endpoints ADD COLUMN transformation_code       TEXT;
ALTER TABLE endpoints ADD COLUMN transformation_enabled    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN transformation_variables  TEXT;    -- JSON object of strings, or NULL
ALTER TABLE endpoints ADD COLUMN transformation_updated_at INTEGER;
-- The mTLS client identity (PEM private key and certificate), SecretBox-sealed like keys_sealed;
-- NULL = none.
ALTER TABLE endpoints ADD COLUMN mtls_sealed               TEXT;
-- The rate limiter (reserveDeliverySlot in src/store/store.ts): the endpoint's next free delivery
-- slot, and since when slots have run ahead of time (deliveries held back). NULL = not limited yet.
ALTER TABLE endpoints ADD COLUMN rate_next_at              INTEGER;
ALTER TABLE endpoints ADD COLUMN throttled_since           INTEGER;

ALTER TABLE event_types ADD COLUMN retry_schedule TEXT;    -- JSON array of seconds, or NULL = not set

-- A delivery postponed to its rate slot keeps the slot (postponeJob): claimed again, it is sent
-- without reserving another. NULL for new and retried jobs.
ALTER TABLE queue ADD COLUMN rate_slot_at INTEGER;
