/**
 * `base` with the exchange's WebSocket path appended when it has none, so a bare
 * host (`ws://127.0.0.1:P` of the simulator, `wss://ws.okx.com:8443`) and a full
 * URL (`wss://ws.okx.com:8443/ws/v5/public`) both work. A base that is not a URL is
 * returned with the path appended, for the connection to refuse with its own error.
 */
export function withDefaultPath(base: string, path: string): string {
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `${trimmed}${path}`;
  }
  if (url.pathname !== '' && url.pathname !== '/') return trimmed;
  url.pathname = path;
  return url.toString();
}
