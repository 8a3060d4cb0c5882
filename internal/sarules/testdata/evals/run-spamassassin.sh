#!/bin/bash
# usage: run-spamassassin.sh rules.cf msgdir: prints "NAME.eml: T_A T_B ..." for each message,
# the rules of rules.cf that spamassassin -L -t finds (each scored 1)
cf=$1; dir=$2
args=()
while IFS= read -r l; do [ -n "$l" ] && args+=(--cf="$l"); done < "$cf"
for n in $(grep -o '^[a-z]* *T_[A-Z0-9_]*' "$cf" | awk '{print $2}' | sort -u); do args+=(--cf="score $n 1"); done
for f in "$dir"/*.eml; do
  ( out=$(spamassassin -L -t "${args[@]}" < "$f" 2>/dev/null | sed -n '/^X-Spam-Status/,/^[^ \t]/p' | tr -d '\n\t ' | grep -o 'tests=[^=]*' )
    hits=$(echo "$out" | sed 's/tests=//; s/autolearn//; s/,/\n/g' | grep -xF -f <(grep -o '^[a-z]* *T_[A-Z0-9_]*' "$cf" | awk '{print $2}') | sort | tr '\n' ' ')
    echo "$(basename $f): $hits" ) &
  while [ $(jobs -r | wc -l) -ge 3 ]; do sleep 0.2; done
done
wait
