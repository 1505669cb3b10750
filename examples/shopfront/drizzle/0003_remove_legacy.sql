ALTER TABLE "orders" DROP COLUMN "legacy_sku";
--> statement-breakpoint
CREATE INDEX "orders_customer_idx" ON "orders" ("customer_id");
--> statement-breakpoint
ALTER TABLE "orders" RENAME COLUMN "total" TO "total_cents";
