#!/usr/bin/env bash
# Remakes tests/fixtures/pdf/*.pdf with the real tools that typeset books and listings: pdfTeX + listings or minted,
# GNU enscript + ghostscript ps2pdf, Chromium's print-to-PDF, LibreOffice's PDF export. The PDFs are committed,
# so CI needs none of these tools; run this only to change the fixtures, or with `heldout DIR` to make PDFs of
# other components (never seen by the tests) for measuring the reader:
#   scripts/make-pdf-fixtures.sh                 # → tests/fixtures/pdf/
#   scripts/make-pdf-fixtures.sh heldout /tmp/heldout-pdfs
#   scripts/make-pdf-fixtures.sh random-7 /tmp/random-pdfs     # three random components per document
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-fixtures}"
OUT="$(realpath -m "${2:-tests/fixtures/pdf}")"
CORPUS="$(realpath ../shared/corpus/real-plugins)"
PYTHON="${PYTHON:-$(command -v python3)}"
[ -x .venv/bin/python ] && PYTHON=.venv/bin/python

need=()
command -v pdflatex >/dev/null || need+=(texlive-latex-recommended lmodern)
kpsewhich minted.sty >/dev/null 2>&1 || need+=(texlive-latex-extra python3-pygments)  # minted
command -v enscript >/dev/null || need+=(enscript)
command -v ps2pdf >/dev/null || need+=(ghostscript)
command -v soffice >/dev/null || need+=(libreoffice-writer)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" tests/fixtures/pdf/make_sources.py "$CORPUS" "$WORK" "$WHICH"
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH=1767225600 FORCE_SOURCE_DATE=1  # reproducible dates in the PDFs
cd "$WORK"
for tex in latex-*.tex; do
  escape=""
  grep -q '{minted}' "$tex" && escape=-shell-escape  # minted runs Pygments
  pdflatex $escape -interaction=nonstopmode -halt-on-error "$tex" >/dev/null
  pdflatex $escape -interaction=nonstopmode -halt-on-error "$tex" >/dev/null
done
# enscript: Courier 9 pt with its default page headers (file name, date, page); long lines wrapped, no mark.
enscript -q --font=Courier9 --header='$n|Printed listing|Page $% of $=' -o enscript.ps enscript-[0-9]*.cs
ps2pdf enscript.ps enscript.pdf
# with line numbers ("  12: code"), Courier 8 pt.
if ls enscript-numbered-*.cs >/dev/null 2>&1; then
  enscript -q -C --font=Courier8 -o enscript-numbered.ps enscript-numbered-*.cs
  ps2pdf enscript-numbered.ps enscript-numbered.pdf
fi
# the second set: two columns on landscape pages, Courier 7 pt.
enscript -q -2 -r --font=Courier7 -o enscript-landscape.ps enscript-landscape-*.cs
ps2pdf enscript-landscape.ps enscript-landscape.pdf
# a saved documentation page: Chromium prints the title, date, URL and page numbers as running lines.
chromium --headless --no-sandbox --disable-gpu --print-to-pdf="$WORK/chromium.pdf" "file://$WORK/chromium.html" 2>/dev/null
soffice --headless --convert-to pdf libreoffice.docx >/dev/null 2>&1
cp latex-*.pdf enscript*.pdf chromium.pdf libreoffice.pdf expected.json "$OUT"/
ls -l "$OUT"
