#!/usr/bin/env bash
# Prints the interpreter for the project's virtual environment: Python 3.12 (the Lambda
# runtime) when the machine has it, pyenv's included, else the newest python3 >= 3.11.
set -euo pipefail
works() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }
candidates=(python3.12)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for p in "$root"/versions/3.12*/bin/python3.12; do candidates+=("$p"); done
fi
candidates+=(python3.13 python3.11 python3)
for c in "${candidates[@]}"; do
  if works "$c"; then command -v "$c" 2>/dev/null || echo "$c"; exit 0; fi
done
echo "no Python >= 3.11 found" >&2
exit 1
