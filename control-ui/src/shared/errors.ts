// One error type for everything the apps show: REST failures ({error, message} from the server), WebSocket
// command failures ({code, message}), timeouts and lost connections. `describeError` turns any of them
// into a sentence in the user's language.
import { localizeServerMessage, t, type MessageKey } from './i18n';

export class UiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status for REST failures; 0 when there was no HTTP reply. */
    readonly status = 0,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'UiError';
  }
}

/** Codes whose wording the UI owns (in both languages); the server's own text is used for the rest. */
const ownWording: Record<string, MessageKey> = {
  bad_credentials: 'login.badCredentials',
  network: 'err.network',
  not_connected: 'err.notConnected',
  disconnected: 'err.disconnected',
  client_timeout: 'err.timeout',
  forbidden: 'err.forbidden',
};

export function describeError(err: unknown): string {
  if (err instanceof UiError) {
    const own = ownWording[err.code];
    if (own) return t(own, err.params);
    return err.message ? localizeServerMessage(err.message) : t('err.unknown');
  }
  if (err instanceof Error && err.message) return err.message;
  return t('err.unknown');
}
