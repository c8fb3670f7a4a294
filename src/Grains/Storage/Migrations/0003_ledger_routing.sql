-- Routing facts of each settled request: the model the client asked for when a fallback served instead (the row's
-- model is the one that served and was charged), how many upstream attempts it took, and whether the provider reported
-- no usage so that the gateway's own count was charged.

ALTER TABLE usage_ledger ADD COLUMN requested_model varchar(128) NULL;
ALTER TABLE usage_ledger ADD COLUMN attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 0);
ALTER TABLE usage_ledger ADD COLUMN usage_counted boolean NOT NULL DEFAULT false;
