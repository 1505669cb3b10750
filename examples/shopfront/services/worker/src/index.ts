import { Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { logger } from '@shopfront/shared';

const connection = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

const worker = new Worker(
  'orders',
  async (job) => {
    await pool.query('update orders set status = $1 where id = $2', ['packed', job.data.orderId]);
  },
  { connection },
);

worker.on('failed', (job, err) => logger.error(`job ${job?.id} failed: ${err.message}`));
