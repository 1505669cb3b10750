import type { Rule } from '../rule.js';
import baseImageUnpinned from './base-image-unpinned.js';
import copySourceMissing from './copy-source-missing.js';
import devRuntimeInProduction from './dev-runtime-in-production.js';
import dockerignore from './dockerignore.js';
import healthcheck from './healthcheck.js';
import nativeModulePlatform from './native-module-platform.js';
import nodeEnvBeforeBuildInstall from './node-env-before-build-install.js';
import packageManagerMismatch from './package-manager-mismatch.js';
import prismaClientNotGenerated from './prisma-client-not-generated.js';
import prismaEngineMismatch from './prisma-engine-mismatch.js';
import privilegedPortNonRoot from './privileged-port-non-root.js';
import runsAsRoot from './runs-as-root.js';
import runtimeAssetMissing from './runtime-asset-missing.js';
import secretInBuild from './secret-in-build.js';
import signalsNotForwarded from './signals-not-forwarded.js';
import singleStageBuild from './single-stage-build.js';
import unfrozenInstall from './unfrozen-install.js';
import workspacePackageMissing from './workspace-package-missing.js';

export const dockerRules: Rule[] = [
  runsAsRoot,
  singleStageBuild,
  packageManagerMismatch,
  unfrozenInstall,
  baseImageUnpinned,
  signalsNotForwarded,
  healthcheck,
  copySourceMissing,
  runtimeAssetMissing,
  dockerignore,
  secretInBuild,
  workspacePackageMissing,
  devRuntimeInProduction,
  privilegedPortNonRoot,
  nodeEnvBeforeBuildInstall,
  prismaClientNotGenerated,
  prismaEngineMismatch,
  nativeModulePlatform,
];
