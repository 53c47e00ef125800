-- Herald SQLite schema, version 5: the due fan-outs, oldest first, for claims to take them ahead of
-- deliveries (up to half of each claim: see claimJobs in src/store/store.ts). A fan-out to many
-- endpoints queues thousands of deliveries due at once; without this, a message posted meanwhile,
-- to any application, waited for all of them to be claimed before its own fan-out was.
CREATE INDEX queue_fanout_due ON queue (run_at, id) WHERE kind = 'fanout';
