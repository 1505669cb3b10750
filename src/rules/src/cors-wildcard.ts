import { defineRule } from '../rule.js';

export default defineRule({
  id: 'src/cors-wildcard',
  severity: 'high',
  title: 'CORS allows any origin',
  security: true,
  messages: {
    withCredentials: {
      message: 'CORS ({{library}}) allows any origin ({{origin}}) together with credentials: true: any website a user visits can call this API with the user\'s cookies and read the answers',
      fix: 'list the origins that may call the API (origin: ["https://app.example.com"]) or check them in an origin function; keep credentials only for those',
    },
    anyOrigin: {
      message: 'CORS ({{library}}) allows any origin ({{origin}}): fine for a public read-only API, a risk for anything behind a login',
      fix: 'if the API is not meant for every website, list the allowed origins (origin: ["https://app.example.com"]), read from configuration per environment',
    },
  },
  check(model, report) {
    const seen = new Set<string>();
    for (const service of model.services) {
      for (const cors of service.cors) {
        if (!cors.anyOrigin) continue;
        const key = `${cors.loc.file}:${cors.loc.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const origin = cors.originEnv ? `${cors.origin}, any origin when ${cors.originEnv} is unset` : cors.origin === '(default)' ? 'no origin option: the default allows every origin' : cors.origin;
        if (cors.credentials) report('withCredentials', cors.loc, { library: cors.library, origin });
        else report('anyOrigin', cors.loc, { library: cors.library, origin }, { severity: 'low' });
      }
    }
  },
});
