-- Custom SQL: `results_side_case_idx` again, with the repeat before the case id. A side's first
-- samples (repeat 0) are then one range of the index, still in case-id order (pairing two sides
-- is a merge join of two index ranges), and a side's largest repeat is one index probe, so a
-- comparison learns whether a side has repeats without reading it. The table is analysed after:
-- the embedded database has no autoanalyze, and its statistics may date from when it was empty.
DROP INDEX IF EXISTS "results_side_case_idx";--> statement-breakpoint
CREATE INDEX "results_side_case_idx" ON "results" USING btree ("run_id","provider_id","prompt_id","repeat","case_id") INCLUDE ("case_index","passed","error_kind","score","latency_ms","cost_usd");--> statement-breakpoint
ANALYZE "results";
