/**
 * Folders of test data: packages, keys and env files there are inputs to tests, not parts of the
 * deployment, and are often deliberately broken or fake.
 */
const TEST_DATA_DIR = /(^|\/)(fixtures?|__fixtures__|test-?fixtures|testdata|__mocks__|__snapshots__)(\/|$)/;

/** Folders and files of tests in general (they still reach an image built with `COPY . .`). */
const TEST_DIR = /(^|\/)(tests?|__tests__|spec|e2e)(\/|$)/;
const TEST_FILE = /\.(test|spec|e2e-spec)\.[cm]?[jt]sx?$|(^|\/|[.-])(mocks?|fixtures?|stubs?|fakes?|test-?utils?)\.[cm]?[jt]sx?$/;

export function isTestDataPath(path: string): boolean {
  return TEST_DATA_DIR.test(path);
}

export function isTestPath(path: string): boolean {
  return TEST_DATA_DIR.test(path) || TEST_DIR.test(path) || TEST_FILE.test(path);
}

/** Example and template projects: demos for readers, not services that get deployed. */
const SAMPLE_DIR = /(^|\/)(examples?|samples?|templates?|boilerplates?)(\/|$)/;

export function isSampleOrTestDataPath(path: string): boolean {
  return TEST_DATA_DIR.test(path) || SAMPLE_DIR.test(path);
}
