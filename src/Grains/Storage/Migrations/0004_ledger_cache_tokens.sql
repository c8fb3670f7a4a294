-- Prompt-cache tokens of each settled request: input_tokens counts all input (as OpenAI's prompt_tokens does), of which
-- cached_input_tokens were read from the provider's prompt cache and cache_write_tokens written to it, each priced at
-- its own price. Rows written before this migration read as having neither.

ALTER TABLE usage_ledger ADD COLUMN cached_input_tokens bigint NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0);
ALTER TABLE usage_ledger ADD COLUMN cache_write_tokens bigint NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0);
