// Tells the panel the browser's time zone (a cookie), so that dates are shown in local time from the
// next page on; until then they are shown in UTC and say so. No reload: a browser refusing cookies
// would loop.
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || document.cookie.split('; ').includes(`tz=${encodeURIComponent(zone)}`)) return;
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from browsers the panel still serves
  document.cookie = `tz=${encodeURIComponent(zone)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
})();
