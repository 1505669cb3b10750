ALTER TABLE "orders" ADD COLUMN "status" text DEFAULT 'new' NOT NULL;
--> statement-breakpoint
CREATE TABLE "order_events" (
  "id" serial PRIMARY KEY,
  "order_id" integer NOT NULL,
  "kind" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "order_events_order_idx" ON "order_events" ("order_id");
