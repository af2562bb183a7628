/** Small pieces every page uses. */
import { ApiError } from './api.js';

export function ErrorMessage({ error }: { error: unknown }) {
  const text = error instanceof ApiError ? error.message : error instanceof Error ? `${error.message} (is the server reachable?)` : String(error);
  return <p class="error" role="alert">{text}</p>;
}

export function Empty({ children }: { children: preact.ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
