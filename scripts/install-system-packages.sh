#!/usr/bin/env bash
# System tools the tests and the export stage use, installed only when missing:
#   mcs (mono-mcs) + the framework assemblies real plugins reference (System.Drawing,
#     System.Windows.Forms, System.Data, System.Xml.Linq, System.Web.Extensions, Newtonsoft.Json) - the judge's
#     compile stage
#   chromium                          - the test that opens the evaluation report in a real browser
#   go (golang-go)                    - the test that renders the Modelfile TEMPLATE with Go's text/template
#   cmake, a C/C++ compiler           - building llama-cpp-python (GGUF quantization, llama.cpp backend)
# Debian/Ubuntu: apt-get (through sudo when not root). Elsewhere it prints what to install.
set -euo pipefail
missing=()
command -v mcs >/dev/null || missing+=(mono-mcs)
[ -e /usr/lib/mono/4.5/System.Drawing.dll ] || [ -e /usr/lib/mono/4.5-api/System.Drawing.dll ] \
  || missing+=(libmono-system-drawing4.0-cil)
[ -e /usr/lib/mono/4.5/System.Windows.Forms.dll ] || missing+=(libmono-system-windows-forms4.0-cil)
[ -e /usr/lib/mono/4.5/System.Data.dll ] || missing+=(libmono-system-data4.0-cil)
[ -e /usr/lib/mono/4.5/System.Xml.Linq.dll ] || missing+=(libmono-system-xml-linq4.0-cil)
[ -e /usr/lib/mono/4.5/System.Web.Extensions.dll ] || missing+=(libmono-system-web-extensions4.0-cil)
ls /usr/lib/cli/Newtonsoft.Json-*/Newtonsoft.Json.dll >/dev/null 2>&1 || missing+=(libnewtonsoft-json5.0-cil)
command -v chromium >/dev/null || missing+=(chromium)
command -v go >/dev/null || missing+=(golang-go)
command -v cmake >/dev/null || missing+=(cmake)
command -v c++ >/dev/null || missing+=(build-essential)
command -v systemd-analyze >/dev/null || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "please install: ${missing[*]} (macOS: brew install mono go cmake)" >&2
  echo "tests that need a missing tool are skipped locally (they fail in CI)" >&2
fi
