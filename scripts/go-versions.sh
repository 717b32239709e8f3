# Sourced by the scripts that need the Go toolchain list (not run on its own).
# Reads scripts/go-versions.txt; the one place where the exact versions are written.
GO_VERSIONS_FILE="$(dirname "${BASH_SOURCE[0]}")/go-versions.txt"

# go_versions SELECTION [FIELD=VALUE...]: versions of SELECTION (all | ci | a version), one per
# line, keeping only lines whose columns match, e.g. `go_versions all map=classic`.
go_versions() {
    local sel="$1"
    shift
    awk -v sel="$sel" -v filters="$*" '
        BEGIN { n = split(filters, f, " "); col["source"] = 2; col["map"] = 3; col["ci"] = 4 }
        /^[[:space:]]*(#|$)/ { next }
        {
            if (sel == "ci" && $4 != "yes") next
            if (sel != "ci" && sel != "all" && $1 != sel) next
            for (i = 1; i <= n; i++) { split(f[i], kv, "="); if ($(col[kv[1]]) != kv[2]) next }
            print $1
        }' "$GO_VERSIONS_FILE"
}

# go_field VERSION COLUMN: one column (source, map, ci) of VERSION's line.
go_field() {
    awk -v v="$1" -v c="$2" '
        BEGIN { col["source"] = 2; col["map"] = 3; col["ci"] = 4 }
        /^[[:space:]]*(#|$)/ { next }
        $1 == v { print $(col[c]); found = 1 }
        END { if (!found) exit 1 }' "$GO_VERSIONS_FILE"
}

# go_bin VERSION: path of the go command of VERSION (it may not be installed yet).
go_bin() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    case "$(go_field "$1" source)" in
    debian) echo "/usr/lib/go-${1%.*}/bin/go" ;;
    pypi) echo "$root/target/go/$1/go/bin/go" ;;
    *)
        echo "go_bin: $1 is not in $GO_VERSIONS_FILE" >&2
        return 1
        ;;
    esac
}
