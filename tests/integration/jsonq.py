#!/usr/bin/env python3
"""jsonq.py FILE EXPR... — for shell tests: loads the JSON document in FILE
(or '-' for standard input) as j and prints the value of each Python
expression EXPR, one a line: strings as they are, true/false/null for
booleans and None, anything else as compact JSON. Exit status 0, or 1
(with the reason on stderr) when FILE is not JSON or an EXPR fails, so
`set -e` scripts and `|| fail` both work.

    jsonq.py out.json 'len(j["reconnects"])' 'j["files"][0]["status"]'
"""
import json
import sys


def show(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if sys.argv[1] == "-":
            j = json.load(sys.stdin)
        else:
            with open(sys.argv[1]) as f:
                j = json.load(f)
    except (OSError, ValueError) as e:
        print(f"jsonq: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    for expr in sys.argv[2:]:
        try:
            v = eval(expr, {"__builtins__": __builtins__}, {"j": j})
        except Exception as e:  # noqa: BLE001 - any failure is the test's failure
            print(f"jsonq: {expr}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        print(show(v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
