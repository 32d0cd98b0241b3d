#!/bin/sh
# Merges the translations in PODIR into a lesson as Title[zh_CN]=… lines,
# with msgfmt --desktop, as i18n.merge_file() does for the desktop file.
#
# Usage: merge-lesson.sh MSGFMT INPUT OUTPUT PODIR [--keyword=KEY…]
#
# msgfmt's desktop-file parser knows only desktop-file keys (letters,
# digits and "-") and drops every other Key=Value line with a warning,
# such as the places of [Expect] groups ("alice@example.com=read").  Such
# lines have nothing to translate, so they go through msgfmt as comments
# and are restored afterwards.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

msgfmt=$1 input=$2 output=$3 podir=$4
shift 4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -E -e '/^[A-Za-z0-9-]+(\[[^]=]*\])?[[:space:]]*=/b' \
       -e '/^[^#[[:space:]][^=]*=/s/^/#msc-keep#/' "$input" > "$tmp/in"
"$msgfmt" --desktop --template "$tmp/in" -d "$podir" -o "$tmp/out" "$@"
sed -e 's/^#msc-keep#//' "$tmp/out" > "$output"
