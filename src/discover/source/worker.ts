import { parentPort } from 'node:worker_threads';
import { parseSync } from 'oxc-parser';
import { analyseFile, type FileJob } from './analyse.js';

/** A second thread for parsing: on a large monorepo, parsing and walking the ASTs is most of the audit. */
parentPort?.on('message', (jobs: FileJob[]) => {
  parentPort?.postMessage(jobs.map((job) => analyseFile(parseSync, job)));
});
