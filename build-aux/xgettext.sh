#!/bin/sh
# xgettext, for po/mailscope.pot: po/meson.build makes i18n.gettext() run
# this in its place, and tests/check-po.sh runs it too.
#
# xgettext picks its parser from a file's extension, knows nothing of
# .lesson (it would read a lesson as C and find nothing), and takes one
# --language per run.  So this runs xgettext, with the arguments it was
# given, on the files of the -f list that are not lessons; then again on
# the lessons, with the desktop-file parser and the lessons' translatable
# keys (as in data/lessons/meson.build), adding to the same .pot.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

keywords='--keyword=Title --keyword=Summary --keyword=Name --keyword=Subject --keyword=Body --keyword=Narration'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

list= dir=. outdir= output=
prev=
for arg do
  shift
  case $prev in
    -f) list=$arg; arg=$tmp/others ;;
    -D) dir=$arg ;;
    -p) outdir=$arg ;;
    -o) output=$arg ;;
  esac
  case $arg in
    --files-from=*) list=${arg#*=}; arg=--files-from=$tmp/others ;;
    --directory=*) dir=${arg#*=} ;;
    --output-dir=*) outdir=${arg#*=} ;;
    --output=*) output=${arg#*=} ;;
  esac
  set -- "$@" "$arg"
  prev=$arg
done

if [ -z "$list" ]; then
  exec xgettext "$@"
fi

grep -v -E '\.lesson[[:space:]]*$' "$list" > "$tmp/others" || true
grep -E '^[^#]*\.lesson[[:space:]]*$' "$list" | sed 's/[[:space:]]*$//' > "$tmp/lessons" || true

xgettext "$@"

if [ ! -s "$tmp/lessons" ]; then
  exit 0
fi

# The desktop-file parser warns about, and skips, keys that a desktop file
# cannot have, such as [Expect] places ("alice@example.com=read"): they
# have nothing to translate, so they become comments first, in copies
# under the same relative names, which keeps the .pot's references.
while read -r lesson; do
  mkdir -p "$tmp/src/$(dirname "$lesson")"
  sed -E -e '/^[A-Za-z0-9-]+(\[[^]=]*\])?[[:space:]]*=/b' \
         -e '/^[^#[[:space:]][^=]*=/s/^/#/' "$dir/$lesson" > "$tmp/src/$lesson"
done < "$tmp/lessons"

case $output in
  /*) pot=$output ;;
  *) pot=${outdir:+$outdir/}$output ;;
esac

# shellcheck disable=SC2086 # $keywords is a list of options
xgettext --language=Desktop --keyword $keywords --from-code=UTF-8 \
  --directory="$tmp/src" --files-from="$tmp/lessons" \
  --join-existing --output="$pot"
