#!/usr/bin/env bash
# Make sure headless Chromium is available for tests/test_browser.py (`make browser-deps`, which `make test` runs first).
# Installs Debian's chromium package where it is missing and we can (root with apt-get). Never fails the
# build: if Chromium cannot be installed, the browser tests skip and say why, or fail where CI is set.
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: $CHROMIUM missing, installing Debian's chromium package (apt-get) ..."
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 \
     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
     && [ -x "$CHROMIUM" ]; then
    echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null)"
  else
    echo "ensure_chromium: could not install chromium; tests/test_browser.py will skip (see pytest -ra), or fail where CI is set"
  fi
else
  echo "ensure_chromium: $CHROMIUM missing and not root with apt-get; tests/test_browser.py will skip, or fail where CI is set"
fi
exit 0
