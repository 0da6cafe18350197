// URL checks both consoles share.

/** A URL from the API, only when it is http(s): nothing else becomes a link, an image or media. */
export function safeUrl(u) {
  if (typeof u !== 'string' || !u) return null;
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}
