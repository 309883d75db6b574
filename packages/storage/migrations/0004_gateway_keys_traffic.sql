CREATE TABLE "gateway_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"budget_usd" double precision,
	"rpm" integer,
	"models" jsonb,
	"spend_usd" double precision DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "requests" ALTER COLUMN "provider" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "request_body" jsonb;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "response_body" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_keys_hash_idx" ON "gateway_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_keys_live_name_idx" ON "gateway_keys" USING btree ("name") WHERE "gateway_keys"."revoked_at" IS NULL;