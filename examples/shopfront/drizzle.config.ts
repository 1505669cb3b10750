import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './services/api/src/db/schema.ts',
  out: './drizzle',
});
