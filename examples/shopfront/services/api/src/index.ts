import express from 'express';
import cors from 'cors';
import { config } from './config.js';
import { health } from './routes/health.js';
import { uploads } from './routes/uploads.js';
import { setupVite } from './vite.js';
import { logger } from '@shopfront/shared';

const app = express();
app.use(cors({ origin: true, credentials: true }));
app.use(express.json());
app.use(health);
app.use(uploads);

if (config.NODE_ENV === 'development') {
  await setupVite(app);
}

const server = app.listen(config.PORT, () => logger.info(`api listening on ${config.PORT}`));

process.on('SIGTERM', () => {
  logger.info('SIGTERM received, draining');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(1), 30_000).unref();
});
