import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { parseSync as ParseSync } from 'oxc-parser';
import { analyseFile, type FileJob, type FileResult } from './analyse.js';

/**
 * Below this many files a wave is read on the main thread alone: starting a worker and loading the
 * parser in it costs more than it saves.
 */
const PARALLEL_THRESHOLD = 1000;

/**
 * Reads batches of files on the main thread and, for large batches on a machine with more than
 * one core, in one worker thread at the same time. A worker that fails is replaced by the main
 * thread: the result is the same either way, only slower.
 */
export class FileReader {
  private worker?: Worker;
  private workerFailed = false;
  /** Batches a worker thread answered (for tests and timings). */
  workerBatches = 0;

  constructor(private readonly parseSync: typeof ParseSync) {}

  async read(jobs: FileJob[]): Promise<FileResult[]> {
    if (jobs.length < PARALLEL_THRESHOLD || this.workerFailed || availableParallelism() < 2) return jobs.map((j) => analyseFile(this.parseSync, j));
    const worker = this.startWorker();
    if (!worker) return jobs.map((j) => analyseFile(this.parseSync, j));
    // The worker starts later (thread, parser load): it takes the smaller share.
    const split = Math.ceil(jobs.length * 0.55);
    const theirs = jobs.slice(split);
    const pending = new Promise<FileResult[] | undefined>((resolve) => {
      const onMessage = (results: FileResult[]) => {
        worker.off('error', onError);
        worker.unref();
        this.workerBatches++;
        resolve(results);
      };
      const onError = () => {
        worker.off('message', onMessage);
        this.workerFailed = true;
        resolve(undefined);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
    worker.ref(); // keeps the process alive while the worker has work; unref'd again when it answers
    worker.postMessage(theirs);
    const mine = jobs.slice(0, split).map((j) => analyseFile(this.parseSync, j));
    const other = (await pending) ?? theirs.map((j) => analyseFile(this.parseSync, j));
    return [...mine, ...other];
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private startWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      if (import.meta.url.endsWith('.ts')) {
        // Running from TypeScript source (tests under tsx): a worker does not inherit tsx's loader on
        // Node 20, so it registers it before loading worker.ts.
        const tsx = import.meta.resolve('tsx/esm/api');
        const script = new URL('./worker.ts', import.meta.url).href;
        this.worker = new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`, { eval: true });
      } else {
        this.worker = new Worker(new URL('./worker.js', import.meta.url));
      }
      this.worker.unref();
      return this.worker;
    } catch {
      this.workerFailed = true;
      return undefined;
    }
  }
}
