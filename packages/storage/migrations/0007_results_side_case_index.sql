-- Custom SQL (drizzle's index builder has no INCLUDE): one provider and prompt of a run in
-- case-id order, covering what a comparison reads of each result, so pairing two sides
-- (`pairResults`) reads the index alone, not the table.
CREATE INDEX IF NOT EXISTS "results_side_case_idx" ON "results" USING btree ("run_id","provider_id","prompt_id","case_id","repeat") INCLUDE ("case_index","passed","error_kind","score","latency_ms","cost_usd");
