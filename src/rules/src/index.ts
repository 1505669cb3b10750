import type { Rule } from '../rule.js';
import connectionNotClosed from './connection-not-closed.js';
import corsWildcard from './cors-wildcard.js';
import devDependencyInProduction from './dev-dependency-in-production.js';
import fileLogging from './file-logging.js';
import hardcodedBackendPort from './hardcoded-backend-port.js';
import listenLocalhost from './listen-localhost.js';
import noHealthEndpoint from './no-health-endpoint.js';
import noSigtermHandler from './no-sigterm-handler.js';
import tlsVerificationDisabled from './tls-verification-disabled.js';

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
];
