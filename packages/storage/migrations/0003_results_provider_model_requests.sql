CREATE TABLE "requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text NOT NULL,
	"route" text,
	"provider" text NOT NULL,
	"label" text,
	"model" text,
	"latency_ms" double precision,
	"ttft_ms" double precision,
	"input_tokens" integer,
	"output_tokens" integer,
	"cached_tokens" integer,
	"cost_usd" double precision,
	"cache_hit" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error_class" text,
	"status" text NOT NULL,
	"http_status" integer
);
--> statement-breakpoint
DROP INDEX "results_run_case_idx";--> statement-breakpoint
ALTER TABLE "results" ADD COLUMN "provider" text;--> statement-breakpoint
ALTER TABLE "results" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "results" ADD COLUMN "score" double precision;--> statement-breakpoint
CREATE UNIQUE INDEX "requests_request_id_idx" ON "requests" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "requests_at_idx" ON "requests" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "requests_source_at_idx" ON "requests" USING btree ("source","at","id");--> statement-breakpoint
CREATE INDEX "results_run_order_idx" ON "results" USING btree ("run_id","case_index","provider_id","prompt_id","repeat","id");--> statement-breakpoint
CREATE INDEX "results_run_unpassed_idx" ON "results" USING btree ("run_id","case_index","provider_id","prompt_id","repeat","id") WHERE ("results"."passed" IS NOT TRUE OR "results"."error_kind" IS NOT NULL);--> statement-breakpoint
CREATE INDEX "results_run_latency_idx" ON "results" USING btree ("run_id",coalesce("latency_ms", 'Infinity'::float8),"id");--> statement-breakpoint
CREATE INDEX "results_run_score_idx" ON "results" USING btree ("run_id",coalesce("score", '-Infinity'::float8),"id");--> statement-breakpoint
UPDATE "results" SET "score" = (SELECT avg(CASE WHEN jsonb_typeof("s"->'score') = 'number' THEN ("s"->>'score')::float8 END) FROM jsonb_array_elements("scores") AS "s") WHERE jsonb_typeof("scores") = 'array' AND jsonb_array_length("scores") > 0;
