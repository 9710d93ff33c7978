// The peer for bench/run: oidc-provider (pinned in package.json) on loopback, configured like
// Latchkey's OAuth door: one confidential client (client_secret_post), RS256 JWT access tokens,
// refresh tokens that rotate on every use, id_tokens for the openid scope.
//
//   PORT=NNNN node server.mjs     prints "listening on http://127.0.0.1:NNNN" when ready
//
// The devInteractions login form (any login name works) is how bench/peer.py mints refresh
// tokens through a real authorization code flow.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
if (!port) throw new Error('set PORT');
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:latchkey-bench:api';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [{
    client_id: 'bench-client',
    client_secret: 'bench-client-secret',
    redirect_uris: ['http://127.0.0.1:9/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
  }],
  scopes: ['openid', 'offline_access', 'api:read'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    // JWT access tokens (RS256) for the one API, as Latchkey issues them.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api:read',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // Latchkey rotates every refresh token on use; so does the peer.
  rotateRefreshToken: true,
  pkce: { required: () => false },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => console.log(`listening on ${issuer}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
