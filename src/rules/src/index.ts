import type { Rule } from '../rule.js';
import connectionNotClosed from './connection-not-closed.js';
import corsWildcard from './cors-wildcard.js';
import devDependencyInProduction from './dev-dependency-in-production.js';
import fileLogging from './file-logging.js';
import hardcodedBackendPort from './hardcoded-backend-port.js';
import healthRouteIntercepted from './health-route-intercepted.js';
import inMemoryStateMultiTask from './in-memory-state-multi-task.js';
import keepaliveBelowLbIdle from './keepalive-below-lb-idle.js';
import listenLocalhost from './listen-localhost.js';
import noHealthEndpoint from './no-health-endpoint.js';
import noSigtermHandler from './no-sigterm-handler.js';
import tlsVerificationDisabled from './tls-verification-disabled.js';
import trustProxyMissing from './trust-proxy-missing.js';

export const srcRules: Rule[] = [
  noSigtermHandler,
  connectionNotClosed,
  noHealthEndpoint,
  devDependencyInProduction,
  tlsVerificationDisabled,
  corsWildcard,
  listenLocalhost,
  hardcodedBackendPort,
  fileLogging,
  keepaliveBelowLbIdle,
  trustProxyMissing,
  inMemoryStateMultiTask,
  healthRouteIntercepted,
];
