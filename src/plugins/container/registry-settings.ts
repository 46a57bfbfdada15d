import { Type } from '@sinclair/typebox';

import type { PluginSettings } from '../../plugin-api/define-plugin.js';

/** Signature algorithms the token server may be configured with (Pulp's TOKEN_SIGNATURE_ALGORITHM). */
export const TOKEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** pulp_container's settings (app/settings.py and its docs), under Pulp's names. */
export const containerSettingsSchema: PluginSettings = {
  /** Token server URL the registry's challenge names; default `<API origin>/token/` of each request. */
  TOKEN_SERVER: Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], { default: null }),
  /** Basic auth on the registry instead of tokens (anonymous pulls only from public distributions). */
  TOKEN_AUTH_DISABLED: Type.Boolean({ default: false }),
  TOKEN_SIGNATURE_ALGORITHM: Type.Union(
    TOKEN_ALGORITHMS.map((a) => Type.Literal(a)),
    { default: 'ES256' },
  ),
  /** PEM key pair of the token server; when unset, one is generated and kept in the database. */
  PRIVATE_KEY_PATH: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  PUBLIC_KEY_PATH: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  /** Lifetime of registry tokens, in seconds. */
  TOKEN_EXPIRATION_TIME: Type.Integer({ default: 300, minimum: 1 }),
};

export interface ContainerSettings {
  TOKEN_SERVER: string | null;
  TOKEN_AUTH_DISABLED: boolean;
  TOKEN_SIGNATURE_ALGORITHM: string;
  PRIVATE_KEY_PATH: string | null;
  PUBLIC_KEY_PATH: string | null;
  TOKEN_EXPIRATION_TIME: number;
  CONTENT_ORIGIN: string | null;
  CONTENT_BIND: string;
}

/** The container settings from the process settings (validated at start), with the defaults filled in. */
export function containerSettings(settings: object): ContainerSettings {
  const s = settings as Record<string, unknown>;
  const pick = <T>(name: string, fallback: T): T => (s[name] === undefined ? fallback : (s[name] as T));
  return {
    TOKEN_SERVER: pick('TOKEN_SERVER', null),
    TOKEN_AUTH_DISABLED: pick('TOKEN_AUTH_DISABLED', false),
    TOKEN_SIGNATURE_ALGORITHM: pick('TOKEN_SIGNATURE_ALGORITHM', 'ES256'),
    PRIVATE_KEY_PATH: pick('PRIVATE_KEY_PATH', null),
    PUBLIC_KEY_PATH: pick('PUBLIC_KEY_PATH', null),
    TOKEN_EXPIRATION_TIME: pick('TOKEN_EXPIRATION_TIME', 300),
    CONTENT_ORIGIN: pick('CONTENT_ORIGIN', null),
    CONTENT_BIND: pick('CONTENT_BIND', '0.0.0.0:24816'),
  };
}

/** What the request says about where it was sent: scheme and Host (with port), as clients name the registry. */
export interface RequestOrigin {
  protocol: string;
  host: string;
}

/** The token realm and issuer: TOKEN_SERVER, else this API's own `/token/`. */
export function tokenServer(settings: ContainerSettings, origin: RequestOrigin): string {
  return settings.TOKEN_SERVER ?? `${origin.protocol}://${origin.host}/token/`;
}

/**
 * The content app's origin for blob redirects: CONTENT_ORIGIN, else the host the client used with the content
 * app's port (the registry and the content app run on the same hosts; redirects must be absolute).
 */
export function contentOrigin(settings: ContainerSettings, origin: RequestOrigin): string {
  if (settings.CONTENT_ORIGIN) return settings.CONTENT_ORIGIN;
  const port = /:(\d+)$/.exec(settings.CONTENT_BIND)?.[1] ?? '24816';
  const hostname = origin.host.startsWith('[') ? origin.host.replace(/\]:\d+$/, ']') : origin.host.replace(/:\d+$/, '');
  return `${origin.protocol}://${hostname}:${port}`;
}
