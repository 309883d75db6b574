CREATE TABLE "results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"case_id" text NOT NULL,
	"case_index" integer NOT NULL,
	"provider_id" text NOT NULL,
	"prompt_id" text NOT NULL,
	"repeat" integer DEFAULT 0 NOT NULL,
	"prompt" jsonb,
	"vars" jsonb,
	"output" text,
	"passed" boolean,
	"scores" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"latency_ms" double precision,
	"ttft_ms" double precision,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" double precision,
	"cached" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error_kind" text,
	"error_message" text,
	"warnings" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"description" text,
	"status" text DEFAULT 'running' NOT NULL,
	"config_file" text,
	"config" jsonb,
	"resolved_config" jsonb,
	"created_by" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" double precision,
	"totals" jsonb,
	"summary" jsonb,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "results_identity_idx" ON "results" USING btree ("run_id","case_id","provider_id","prompt_id","repeat");--> statement-breakpoint
CREATE INDEX "results_run_case_idx" ON "results" USING btree ("run_id","case_index");--> statement-breakpoint
CREATE INDEX "runs_started_at_idx" ON "runs" USING btree ("started_at" DESC NULLS LAST);