/** What the init cell gives the kernel. */
export interface InitCellConfig {
  /** The session id (for the bridge's logs). */
  readonly sessionId: string;
  /** Base URL of the proxy HTTP bridge (`serveProxy`), or undefined when the session has none. */
  readonly bridgeUrl: string | undefined;
  /** Proxies the session may call; an empty list means every proxy the bridge serves. */
  readonly proxies: readonly string[];
  /** Data cutoff date (ISO), or undefined. */
  readonly cutoffDate: string | undefined;
  /** A folder added to `sys.path` so the notebook can import the project's modules. */
  readonly projectRoot: string | undefined;
  /** Seconds `CALL_API` waits for the bridge. */
  readonly callTimeoutSeconds: number;
}

/** The environment variable the kernel reads the bridge token from (set by a silent execution, never saved). */
export const BRIDGE_TOKEN_ENV = 'LLLM_BRIDGE_TOKEN';

/** Metadata key marking the init cell. */
export const INIT_CELL_MARKER = 'lllm';

/**
 * A Python string literal whose value is the JSON text of `value`. Non-ASCII characters are escaped
 * inside the JSON (so `json.loads` rebuilds astral characters from surrogate pairs), which makes the
 * JSON pure ASCII; encoding that as a JSON string gives a valid Python literal. No value is ever
 * interpolated into code as is.
 */
export function pythonJsonLiteral(value: unknown): string {
  const json = JSON.stringify(value ?? null).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return JSON.stringify(json);
}

/** Python code decoding `value` at run time: `json.loads("<escaped JSON>")`. */
export function pythonValue(value: unknown): string {
  return `__import__("json").loads(${pythonJsonLiteral(value)})`;
}

/** The source of the init cell: `CALL_API(path, params)` wired to the bridge, the session's proxies and cutoff date. */
export function renderInitCell(config: InitCellConfig): string {
  const settings = {
    session_id: config.sessionId,
    bridge_url: config.bridgeUrl ?? null,
    proxies: [...config.proxies],
    cutoff_date: config.cutoffDate ?? null,
    project_root: config.projectRoot ?? null,
    timeout: config.callTimeoutSeconds,
    token_env: BRIDGE_TOKEN_ENV,
  };
  return `# LLLM sandbox init cell: managed by the session and rewritten when its settings change.
import json as _lllm_json
import os as _lllm_os
import sys as _lllm_sys
import urllib.error as _lllm_urlerror
import urllib.request as _lllm_urlrequest

_LLLM_SANDBOX = _lllm_json.loads(${pythonJsonLiteral(settings)})
ACTIVATED_PROXIES = list(_LLLM_SANDBOX["proxies"])
CUTOFF_DATE = _LLLM_SANDBOX["cutoff_date"]
if _LLLM_SANDBOX["project_root"] and _LLLM_SANDBOX["project_root"] not in _lllm_sys.path:
    _lllm_sys.path.insert(0, _LLLM_SANDBOX["project_root"])


class ProxyCallError(RuntimeError):
    """A CALL_API request failed: the bridge refused it or the endpoint raised."""


def CALL_API(path, params=None):
    """Call a proxy endpoint through the LLLM bridge, e.g. CALL_API("weather/forecast", {"city": "Oslo"})."""
    if not isinstance(path, str) or not path:
        raise ValueError("CALL_API needs an endpoint path such as 'proxy_name/endpoint', got %r" % (path,))
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValueError("CALL_API params must be a dict of arguments, got %s" % type(params).__name__)
    config = _LLLM_SANDBOX
    if not config["bridge_url"]:
        raise ProxyCallError("This sandbox session has no proxy bridge: start one with serveProxy() and pass it to the session.")
    proxy_name = path.split("/", 1)[0]
    if config["proxies"] and proxy_name not in config["proxies"]:
        raise ProxyCallError("Proxy %r is not activated for this session; activated: %s" % (proxy_name, ", ".join(config["proxies"])))
    body = {"path": path, "params": params}
    if config["proxies"]:
        body["proxies"] = config["proxies"]
    if config["cutoff_date"]:
        body["cutoffDate"] = config["cutoff_date"]
    request = _lllm_urlrequest.Request(
        config["bridge_url"].rstrip("/") + "/call",
        data=_lllm_json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer " + _lllm_os.environ.get(config["token_env"], ""),
            "X-LLLM-Session": config["session_id"],
        },
    )
    opener = _lllm_urlrequest.build_opener(_lllm_urlrequest.ProxyHandler({}))
    try:
        with opener.open(request, timeout=config["timeout"]) as response:
            payload = _lllm_json.loads(response.read().decode("utf-8") or "null")
    except _lllm_urlerror.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        try:
            decoded = _lllm_json.loads(detail)
            if isinstance(decoded, dict):
                detail = decoded.get("error", decoded)
                if isinstance(detail, dict):
                    detail = detail.get("message", detail)
        except ValueError:
            pass
        raise ProxyCallError("CALL_API(%r) failed (HTTP %d): %s" % (path, error.code, detail)) from None
    except _lllm_urlerror.URLError as error:
        raise ProxyCallError("CALL_API(%r) could not reach the proxy bridge: %s" % (path, error.reason)) from None
    if isinstance(payload, dict) and "error" in payload and "result" not in payload:
        raise ProxyCallError("CALL_API(%r) failed: %s" % (path, payload["error"]))
    if isinstance(payload, dict) and "result" in payload:
        return payload["result"]
    return payload
`;
}

/** Code run silently (no history, no output) to hand the kernel the bridge token. */
export function renderTokenInjection(token: string | undefined): string {
  return token === undefined
    ? `__import__("os").environ.pop(${JSON.stringify(BRIDGE_TOKEN_ENV)}, None)`
    : `__import__("os").environ[${JSON.stringify(BRIDGE_TOKEN_ENV)}] = ${pythonValue(token)}`;
}
