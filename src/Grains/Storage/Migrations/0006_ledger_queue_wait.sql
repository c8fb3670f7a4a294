-- The time each settled request waited in a full deployment's fair queue, in whole milliseconds rounded up (what the
-- x-gateway-queue-ms header said); 0 when it found capacity at once. Rows written before this migration read as 0.

ALTER TABLE usage_ledger ADD COLUMN queue_wait_ms bigint NOT NULL DEFAULT 0 CHECK (queue_wait_ms >= 0);
