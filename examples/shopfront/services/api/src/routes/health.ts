import { Router } from 'express';
import { pool } from '../db/pool.js';

export const health = Router();

health.get('/api/health', async (_req, res) => {
  try {
    await pool.query('select 1');
    res.json({ status: 'ok' });
  } catch {
    res.status(503).json({ status: 'degraded' });
  }
});
