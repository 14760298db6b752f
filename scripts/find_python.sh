#!/bin/sh
# Print the first installed Python that the series supports (pyproject.toml's requires-python),
# preferring the oldest supported version; or explain and fail before anything is installed.
#   scripts/find_python.sh            -> /usr/bin/python3.12, say
#   PYTHON=/opt/py/bin/python3 make   -> skips the search; the version is still checked
cd "$(dirname "$0")/.." || exit 1
spec=$(sed -n 's/^requires-python = "\(.*\)"/\1/p' pyproject.toml)   # e.g. >=3.11,<3.14
low=$(echo "$spec" | sed -n 's/.*>=3\.\([0-9]*\).*/\1/p')
high=$(echo "$spec" | sed -n 's/.*<3\.\([0-9]*\).*/\1/p')
supported=""
minor=$low
while [ "$minor" -lt "$high" ]; do supported="$supported 3.$minor"; minor=$((minor + 1)); done

fits() {  # is "$1" a Python whose version lies in the supported range?
    "$1" -c "import sys; sys.exit(not ((3, $low) <= sys.version_info[:2] < (3, $high)))" 2>/dev/null
}

if [ -n "$PYTHON" ]; then
    candidates="$PYTHON"
else
    candidates=""
    for version in $supported; do candidates="$candidates python$version"; done
    candidates="$candidates python3 python"
fi
for candidate in $candidates; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if fits "$path"; then echo "$path"; exit 0; fi
done
found=""
for candidate in $candidates; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    found="$found $candidate=$("$path" -c 'import platform; print(platform.python_version())' 2>/dev/null)"
done
echo "No supported Python found: the series needs Python 3.$low to 3.$((high - 1))" \
     "(pyproject.toml: requires-python $spec); found:${found:- none}." >&2
echo "Install one (python.org, Homebrew, pyenv, uv python install 3.12, ...) or point PYTHON= at it." >&2
exit 1
