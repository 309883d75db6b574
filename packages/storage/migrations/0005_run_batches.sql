CREATE TABLE "batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"vendor_batch_id" text NOT NULL,
	"item_keys" jsonb NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "batches_run_vendor_idx" ON "batches" USING btree ("run_id","vendor_batch_id");--> statement-breakpoint
CREATE INDEX "batches_run_status_idx" ON "batches" USING btree ("run_id","status");