#!/bin/sh
# Every catalogue must compile cleanly, and zh_CN must translate every
# message the sources have today (a Chinese trainer must never meet an
# English string), with nothing left fuzzy.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

top=${1:?usage: check-po.sh SOURCE-ROOT}
cd "$top"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v -E '^[[:space:]]*(#|$)' po/POTFILES > "$tmp/files"
missing=$(while read -r f; do [ -f "$f" ] || echo "$f"; done < "$tmp/files")
if [ -n "$missing" ]; then
  echo "po/POTFILES names files that do not exist: $missing"
  exit 1
fi

# Through the wrapper that also extracts the lessons' translatable keys.
build-aux/xgettext.sh --from-code=UTF-8 --add-comments=Translators \
  -k_ -kN_ -kC_:1c,2 -kNC_:1c,2 -kg_dngettext:2,3 \
  -f "$tmp/files" -o "$tmp/mailscope.pot"

status=0
for lang in $(grep -v -E '^[[:space:]]*(#|$)' po/LINGUAS); do
  po="po/$lang.po"
  if ! msgfmt --check --output-file=/dev/null "$po"; then
    echo "$po: msgfmt --check failed"
    status=1
    continue
  fi
  msgmerge --quiet --no-fuzzy-matching "$po" "$tmp/mailscope.pot" -o "$tmp/$lang.po"
  stats=$(LC_ALL=C msgfmt --statistics --output-file=/dev/null "$tmp/$lang.po" 2>&1)
  echo "$po: $stats"
  case "$stats" in
    *untranslated*|*fuzzy*)
      echo "$po is incomplete against the sources; these need work:"
      { msgattrib --untranslated "$tmp/$lang.po"; msgattrib --only-fuzzy "$tmp/$lang.po"; } |
        grep '^msgid "[^"]' | head -40
      status=1
      ;;
  esac
done
exit $status
