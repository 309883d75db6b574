CREATE TABLE "metric_points_1h" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"provider_id" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"route" text NOT NULL,
	"key" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"errors" jsonb NOT NULL,
	"latency" "bytea"[] NOT NULL,
	"ttft" "bytea"[] NOT NULL,
	"tokens_in" double precision NOT NULL,
	"tokens_out" double precision NOT NULL,
	"cost_usd" double precision NOT NULL,
	"cache_hits" integer NOT NULL,
	"probe_score_sum" double precision NOT NULL,
	"probe_score_count" integer NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"rolled_up" integer
);
--> statement-breakpoint
CREATE TABLE "metric_points_1m" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"provider_id" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"route" text NOT NULL,
	"key" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"errors" jsonb NOT NULL,
	"latency" "bytea"[] NOT NULL,
	"ttft" "bytea"[] NOT NULL,
	"tokens_in" double precision NOT NULL,
	"tokens_out" double precision NOT NULL,
	"cost_usd" double precision NOT NULL,
	"cache_hits" integer NOT NULL,
	"probe_score_sum" double precision NOT NULL,
	"probe_score_count" integer NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"rolled_up" integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX "metric_points_1h_series_idx" ON "metric_points_1h" USING btree ("source","provider_id","provider","model","route","key","start");--> statement-breakpoint
CREATE INDEX "metric_points_1h_provider_id_start_idx" ON "metric_points_1h" USING btree ("provider_id","start");--> statement-breakpoint
CREATE INDEX "metric_points_1h_provider_start_idx" ON "metric_points_1h" USING btree ("provider","start");--> statement-breakpoint
CREATE INDEX "metric_points_1h_start_idx" ON "metric_points_1h" USING btree ("start");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_points_1m_series_idx" ON "metric_points_1m" USING btree ("source","provider_id","provider","model","route","key","start");--> statement-breakpoint
CREATE INDEX "metric_points_1m_provider_id_start_idx" ON "metric_points_1m" USING btree ("provider_id","start");--> statement-breakpoint
CREATE INDEX "metric_points_1m_provider_start_idx" ON "metric_points_1m" USING btree ("provider","start");--> statement-breakpoint
CREATE INDEX "metric_points_1m_start_idx" ON "metric_points_1m" USING btree ("start");--> statement-breakpoint
CREATE INDEX "metric_points_1m_pending_idx" ON "metric_points_1m" USING btree ("start") WHERE "metric_points_1m"."rolled_up" IS DISTINCT FROM "metric_points_1m"."revision";