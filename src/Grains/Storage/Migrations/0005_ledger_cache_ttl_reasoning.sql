-- The rest of what prices a settled request: of its cache_write_tokens, cache_write_1h_tokens were written to be kept an
-- hour (Anthropic's ttl "1h", priced twice the input where five-minute writes are 1.25 times); of its output_tokens,
-- reasoning_tokens were the model's reasoning (priced as output, shown apart). With the model's prices a row's columns
-- recompute its cost_usd. Rows written before this migration read as having neither.

ALTER TABLE usage_ledger ADD COLUMN cache_write_1h_tokens bigint NOT NULL DEFAULT 0 CHECK (cache_write_1h_tokens >= 0);
ALTER TABLE usage_ledger ADD COLUMN reasoning_tokens bigint NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0);
