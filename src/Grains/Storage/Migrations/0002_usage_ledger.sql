-- The usage ledger: one row per settled request, append-only, the record of truth for billing and for rebuilding
-- a tenant's totals after a crash. A request id appears once, so a retried write cannot count twice; seq orders a
-- tenant's rows so that recovery replays exactly the rows its last saved state has not seen.

CREATE TABLE usage_ledger
(
    tenant_id varchar(64) NOT NULL,
    seq bigint NOT NULL,
    request_id varchar(64) NOT NULL,
    recorded_at timestamptz NOT NULL,
    model varchar(128) NOT NULL,
    provider varchar(64) NOT NULL,
    input_tokens bigint NOT NULL CHECK (input_tokens >= 0),
    output_tokens bigint NOT NULL CHECK (output_tokens >= 0),
    cost_usd numeric(24, 12) NOT NULL CHECK (cost_usd >= 0),
    outcome varchar(32) NOT NULL,
    CONSTRAINT pk_usage_ledger PRIMARY KEY (tenant_id, seq),
    CONSTRAINT ux_usage_ledger_request UNIQUE (request_id)
);

CREATE INDEX ix_usage_ledger_tenant_time ON usage_ledger (tenant_id, recorded_at);
